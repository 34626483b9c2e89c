package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// files are the paths (and the CA) that kube-apiserver is started with, all under the data dir.
type files struct {
	pkiDir      string
	caCert      string
	caPEM       []byte
	servingCert string
	servingKey  string
	saPrivate   string
	saPublic    string
	tokens      string
}

// prepareFiles makes a fresh CA, serving certificate, admin client certificate, service-account
// key pair and token file. Everything is regenerated on each start: a data dir left behind by a
// killed run must not hand out stale etcd state or certificates. Unless it is a --restart: then
// the state is the point, and clients of the first start keep trusting and reaching the server.
func prepareFiles(o *options) (*files, error) {
	if o.restart {
		return keptFiles(o)
	}
	for _, stale := range []string{"etcd", "pki", "tokens.csv", "kubeconfig"} {
		if err := os.RemoveAll(filepath.Join(o.dataDir, stale)); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(o.kubeconfig); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	f := filesIn(o.dataDir)
	pki := f.pkiDir
	if err := os.MkdirAll(pki, 0o700); err != nil {
		return nil, err
	}

	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "ako-testenv-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := sign(caTmpl, caTmpl, caKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	f.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(f.caCert, f.caPEM, 0o644); err != nil {
		return nil, err
	}

	serving := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(serviceIP)},
		DNSNames: []string{
			"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
	}
	if err := issue(serving, ca, caKey, f.servingCert, f.servingKey); err != nil {
		return nil, err
	}

	// Not used by the kubeconfig (which carries the token), but lets a client authenticate with
	// a certificate too, e.g. to test x509 auth paths.
	admin := &x509.Certificate{
		Subject:     pkix.Name{CommonName: adminUser, Organization: []string{"system:masters"}},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := issue(admin, ca, caKey, filepath.Join(pki, "admin.crt"), filepath.Join(pki, "admin.key")); err != nil {
		return nil, err
	}

	// RSA because RS256 is the signing algorithm every token consumer accepts.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if err := writeKey(f.saPrivate, saKey); err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(f.saPublic, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return nil, err
	}

	// Static token file format: token,user,uid,"group,...".
	line := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", o.token, adminUser, adminUser)
	if err := os.WriteFile(f.tokens, []byte(line), 0o600); err != nil {
		return nil, err
	}
	return f, nil
}

// filesIn names the files of a data dir.
func filesIn(dataDir string) *files {
	pki := filepath.Join(dataDir, "pki")
	return &files{
		pkiDir:      pki,
		caCert:      filepath.Join(pki, "ca.crt"),
		servingCert: filepath.Join(pki, "apiserver.crt"),
		servingKey:  filepath.Join(pki, "apiserver.key"),
		saPrivate:   filepath.Join(pki, "sa.key"),
		saPublic:    filepath.Join(pki, "sa.pub"),
		tokens:      filepath.Join(dataDir, "tokens.csv"),
	}
}

// keptFiles are the files a previous start made in the data dir, for --restart.
func keptFiles(o *options) (*files, error) {
	f := filesIn(o.dataDir)
	for _, path := range []string{f.servingCert, f.servingKey, f.saPrivate, f.saPublic, f.tokens, filepath.Join(o.dataDir, "etcd")} {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--restart: nothing to restart in %s: %w", o.dataDir, err)
		}
	}
	var err error
	if f.caPEM, err = os.ReadFile(f.caCert); err != nil {
		return nil, fmt.Errorf("--restart: %w", err)
	}
	// Written again once ready: its appearance is the readiness signal.
	if err := os.Remove(o.kubeconfig); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return f, nil
}

// issue makes a fresh P-256 key, signs tmpl with the CA and writes both as PEM.
func issue(tmpl, ca *x509.Certificate, caKey crypto.Signer, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := sign(tmpl, ca, key, caKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return writeKey(keyPath, key)
}

func sign(tmpl, parent *x509.Certificate, key, parentKey crypto.Signer) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	return x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}
