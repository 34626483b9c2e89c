// Test-only: the Gateway API project's conformance suite (sigs.k8s.io/gateway-api/conformance),
// compiled as a test binary that ako-rs's conformance test runs against testenv + `ako run`.
// The suite's flags (-gateway-class, -supported-features, ...) and `-test.run` choose what runs.
package gatewayconformance

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	conformance.RunConformance(t)
}
