// Command testenv runs a real Kubernetes control plane for ako-rs tests: an embedded etcd and
// an in-process kube-apiserver on 127.0.0.1, with an admin kubeconfig. It is test-only and never
// shipped. No controllers run (no kube-controller-manager, no scheduler, no kubelet).
//
// Usage:
//
//	testenv [--data-dir DIR] [--port N] [--watch-pid PID] [--restart] [-- extra kube-apiserver flags]
//
// Once /readyz answers 200 it writes DIR/kubeconfig and prints one line to stdout:
//
//	testenv ready: server=https://127.0.0.1:PORT kubeconfig=DIR/kubeconfig pid=PID
//
// SIGTERM or SIGINT shut down the apiserver, then etcd.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

const (
	// serviceCIDR only configures the apiserver's ClusterIP allocator; nothing routes to it.
	serviceCIDR = "10.0.0.0/24"
	// serviceIP is the first address of serviceCIDR, which the apiserver gives to the
	// default/kubernetes Service, so its serving certificate must name it.
	serviceIP = "10.0.0.1"
	adminUser = "ako-testenv-admin"
)

type options struct {
	dataDir     string
	removeData  bool
	restart     bool
	port        int
	token       string
	kubeconfig  string
	watchPID    int
	readyWithin time.Duration
	extraArgs   []string
}

// failed records that we stopped ourselves because of an error, so the exit code says so even
// though the apiserver itself shut down cleanly.
var failed atomic.Bool

// announced records that the ready line was printed.
var announced atomic.Bool

func main() {
	os.Exit(run())
}

func run() int {
	opts, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 2
	}

	// Built first: it installs the SIGTERM/SIGINT handler whose context stops the apiserver, so a
	// signal that arrives while etcd starts still leads to a clean shutdown.
	cmd := app.NewAPIServerCommand()
	ctx := cmd.Context()

	if opts.removeData {
		defer func() {
			// A start that never got ready keeps its data dir: its log is the diagnosis.
			if !announced.Load() {
				fmt.Fprintln(os.Stderr, "testenv: never became ready; keeping", opts.dataDir)
				return
			}
			os.RemoveAll(opts.dataDir)
		}()
	}
	files, err := prepareFiles(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}

	etcd, etcdURL, err := startEtcd(filepath.Join(opts.dataDir, "etcd"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: etcd:", err)
		return 1
	}
	if opts.restart {
		if err := compact(ctx, etcd); err != nil {
			fmt.Fprintln(os.Stderr, "testenv: etcd compaction:", err)
			etcd.Close()
			return 1
		}
	}

	server := fmt.Sprintf("https://127.0.0.1:%d", opts.port)
	cmd.SetArgs(append(apiserverArgs(opts, files, etcdURL), opts.extraArgs...))

	go func() {
		if err := announceWhenReady(ctx, opts, files, server); err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			failed.Store(true)
			stopSelf()
		}
	}()
	if opts.watchPID > 0 {
		go stopWhenGone(ctx, opts.watchPID)
	}
	go func() {
		// etcd failing underneath means the apiserver can only hang or crash-loop: stop instead.
		select {
		case err := <-etcd.Err():
			if err == nil {
				return // closed by our own shutdown
			}
			fmt.Fprintln(os.Stderr, "testenv: etcd failed:", err)
			failed.Store(true)
			stopSelf()
		case <-ctx.Done():
		}
	}()

	err = cmd.Execute()
	// The apiserver is down (or never came up); etcd goes last so that it saw every write.
	etcd.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: kube-apiserver:", err)
		return 1
	}
	if failed.Load() {
		return 1
	}
	fmt.Fprintln(os.Stderr, "testenv: stopped")
	return 0
}

func parseFlags() (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("testenv", flag.ContinueOnError)
	fs.StringVar(&o.dataDir, "data-dir", "", "directory for etcd data, certificates and the kubeconfig (default: a new temporary directory, removed on exit)")
	fs.BoolVar(&o.removeData, "remove-data-dir", false, "remove --data-dir on exit (unless the apiserver never became ready)")
	fs.BoolVar(&o.restart, "restart", false, "start again on the state a stopped (or killed) testenv left in --data-dir: its etcd data, certificates and token, on --port; etcd's history is compacted first, so that watches resumed from before the stop are answered 410 Gone")
	fs.IntVar(&o.port, "port", 0, "apiserver secure port on 127.0.0.1 (0: a free port)")
	fs.StringVar(&o.token, "token", adminUser, "bearer token of the admin user (group system:masters)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "where to write the admin kubeconfig (default DATA-DIR/kubeconfig)")
	fs.IntVar(&o.watchPID, "watch-pid", 0, "shut down when the process with this pid is gone (for test harnesses that may die without cleaning up)")
	fs.DurationVar(&o.readyWithin, "ready-timeout", 3*time.Minute, "give up if /readyz is not ok within this time")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return nil, err
	}
	// Everything after "--" goes to kube-apiserver unchanged, and wins over our defaults.
	o.extraArgs = fs.Args()
	if o.restart && (o.port == 0 || o.dataDir == "") {
		return nil, errors.New("--restart needs the --data-dir and --port of the testenv it restarts")
	}

	if o.dataDir == "" {
		dir, err := os.MkdirTemp("", "ako-testenv-")
		if err != nil {
			return nil, err
		}
		o.dataDir, o.removeData = dir, true
	}
	abs, err := filepath.Abs(o.dataDir)
	if err != nil {
		return nil, err
	}
	o.dataDir = abs
	if o.kubeconfig == "" {
		o.kubeconfig = filepath.Join(o.dataDir, "kubeconfig")
	}
	if o.port == 0 {
		if o.port, err = freePort(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// freePort asks the kernel for an unused loopback port. Another process could take it before we
// bind it again; on a test machine that race is rare and fails loudly (bind error), not silently.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startEtcd(dir string) (*embed.Etcd, string, error) {
	clientPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(clientPort))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(peerPort))}

	cfg := embed.NewConfig()
	cfg.Name = "testenv"
	cfg.Dir = dir
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// The data is thrown away after the run; fsync only slows every write in the tests.
	cfg.UnsafeNoFsync = true
	cfg.LogLevel = "warn"
	cfg.LogOutputs = []string{"stderr"}

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, clientURL.String(), nil
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case <-time.After(time.Minute):
		e.Close()
		return nil, "", errors.New("not ready within 1m")
	}
}

// compact drops etcd's history up to its current revision: a client that resumes a watch from a
// resource version it saw before the restart must list again (410 Gone), as after a long outage.
func compact(ctx context.Context, e *embed.Etcd) error {
	rev := e.Server.KV().Rev()
	_, err := e.Server.Compact(ctx, &etcdserverpb.CompactionRequest{Revision: rev, Physical: true})
	if err == nil {
		fmt.Fprintf(os.Stderr, "testenv: etcd history compacted to revision %d\n", rev)
	}
	return err
}

func apiserverArgs(o *options, f *files, etcdURL string) []string {
	return []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(o.port),
		"--cert-dir=" + f.pkiDir,
		// The default reconciler publishes the advertise address as the endpoint of
		// default/kubernetes and refuses loopback addresses. Nothing in-cluster needs it.
		"--endpoint-reconciler-type=none",
		"--tls-cert-file=" + f.servingCert,
		"--tls-private-key-file=" + f.servingKey,
		"--client-ca-file=" + f.caCert,
		"--token-auth-file=" + f.tokens,
		"--authorization-mode=Node,RBAC",
		"--etcd-servers=" + etcdURL,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + f.saPublic,
		"--service-account-signing-key-file=" + f.saPrivate,
		// The ServiceAccount admission plugin rejects Pods until a "default" ServiceAccount
		// exists, and only kube-controller-manager (not run here) creates it.
		"--disable-admission-plugins=ServiceAccount",
		// Tests stop the server often; nothing outside needs a graceful drain.
		"--shutdown-delay-duration=0s",
	}
}

// announceWhenReady polls /readyz as the admin user, then writes the kubeconfig (so its existence
// means "ready") and prints the ready line.
func announceWhenReady(ctx context.Context, o *options, f *files, server string) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(f.caPEM)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	deadline := time.Now().Add(o.readyWithin)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	lastErr := errors.New("no answer yet")
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+o.token)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			lastErr = fmt.Errorf("/readyz answered %s", resp.Status)
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("apiserver not ready within %s: %w", o.readyWithin, lastErr)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}

	if err := writeKubeconfig(o, f, server); err != nil {
		return err
	}
	fmt.Printf("testenv ready: server=%s kubeconfig=%s pid=%d\n", server, o.kubeconfig, os.Getpid())
	announced.Store(true)
	return nil
}

func writeKubeconfig(o *options, f *files, server string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testenv"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: f.caPEM}
	cfg.AuthInfos[adminUser] = &clientcmdapi.AuthInfo{Token: o.token}
	cfg.Contexts["testenv"] = &clientcmdapi.Context{Cluster: "testenv", AuthInfo: adminUser, Namespace: "default"}
	cfg.CurrentContext = "testenv"
	// Written aside and renamed so that a reader never sees half a file.
	tmp := o.kubeconfig + ".tmp"
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, o.kubeconfig)
}

// stopWhenGone shuts down when the watched process exits, so a test binary that is killed (and
// never runs its cleanup) does not leave an apiserver behind.
func stopWhenGone(ctx context.Context, pid int) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
				fmt.Fprintf(os.Stderr, "testenv: watched process %d is gone, shutting down\n", pid)
				stopSelf()
				return
			}
		}
	}
}

// stopSelf goes through the apiserver's own signal handler, which is the only way to cancel the
// context that NewAPIServerCommand created.
func stopSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
}
