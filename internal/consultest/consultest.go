// Package consultest runs real Consul agents for tests: one `consul agent -dev`
// per call, on free loopback ports, stopped when the test ends.
//
// A real agent (not a fake) catches what matters for discovery: blocking-query
// semantics, health filtering, weights, maintenance and cross-datacenter
// queries. The binary is Consul v1.14.11, built by scripts/consul.sh; without
// it, tests skip (or fail when CI is set) rather than guess.
package consultest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/nettest"
)

// Version is the Consul release scripts/consul.sh builds and caches.
const Version = "1.14.11"

// readyTimeout bounds every wait for the agent: a dev agent elects itself
// leader in about 3 s, so 30 s means something is broken, not slow.
const readyTimeout = 30 * time.Second

var client = &http.Client{Timeout: 10 * time.Second}

// Binary returns the consul binary: $BULWARK_CONSUL, else `consul` on PATH,
// else the cache built by scripts/consul.sh. When none exists it skips the
// test, or fails it when the CI environment variable is non-empty, so CI never
// passes by silently skipping. A BULWARK_CONSUL that is set but not an
// executable file is treated the same way (skip or fail, naming the variable)
// instead of quietly falling back to another binary than the one asked for.
// Give BULWARK_CONSUL as an absolute path: tests run in their package directory.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("BULWARK_CONSUL"); p != "" {
		if !isExecutable(p) {
			missing(t, fmt.Sprintf("BULWARK_CONSUL=%s is not an executable file (unset it, or build one with scripts/consul.sh)", p))
		}
		return p
	}
	if p, err := exec.LookPath("consul"); err == nil {
		return p
	}
	if root, err := repoRoot(); err == nil {
		p := filepath.Join(root, ".cache", "tools", "consul-"+Version, "consul")
		if isExecutable(p) {
			return p
		}
	}
	missing(t, "no consul binary: run scripts/consul.sh to build v"+Version+
		" into .cache/tools/ (about 4 minutes, once), put consul on PATH, or set BULWARK_CONSUL")
	return ""
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal("consultest: " + msg + " (CI is set, so this is a failure, not a skip)")
	}
	t.Skip("consultest: " + msg)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// repoRoot walks up from the working directory (a package directory under
// `go test`) to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Agent is one running dev agent on loopback. Dev mode keeps all state in
// memory, so a Restart starts from an empty catalog.
type Agent struct {
	Addr       string // HTTP API host:port, e.g. 127.0.0.1:38511
	Datacenter string
	WANAddr    string // serf WAN host:port, for joining another DC

	bin      string
	node     string
	httpPort int
	args     []string
	out      nettest.Tail

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Options configures Start.
type Options struct {
	Datacenter string // default "dc1"
}

// Start starts a dev agent on free loopback ports, waits until it has a
// leader, and stops it when the test ends. Ports are picked by listening on
// 127.0.0.1:0 and closing, which races with other processes; so a failed
// start is retried once on fresh ports before failing the test.
func Start(t testing.TB, o Options) *Agent {
	t.Helper()
	bin := Binary(t)
	dc := o.Datacenter
	if dc == "" {
		dc = "dc1"
	}
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var p []int
		if p, err = freePorts(4); err != nil {
			t.Fatalf("consultest: free ports: %v", err)
		}
		a := &Agent{
			Addr:       net.JoinHostPort("127.0.0.1", strconv.Itoa(p[0])),
			Datacenter: dc,
			bin:        bin,
			node:       fmt.Sprintf("consultest-%d-%d", os.Getpid(), p[0]),
			httpPort:   p[0],
		}
		a.setClusterPorts(p[1:])
		if err = a.start(); err == nil {
			t.Cleanup(a.stop)
			return a
		}
		a.stop()
		err = fmt.Errorf("%w\nagent output:\n%s", err, a.out.String())
	}
	t.Fatalf("consultest: starting consul agent (dc %s): %v", dc, err)
	return nil
}

// Stop stops the agent: SIGTERM, then SIGKILL after 5 s. Calling it again, or
// on an agent that already exited, does nothing.
func (a *Agent) Stop(t testing.TB) {
	t.Helper()
	a.stop()
}

// setClusterPorts sets the agent's server, serf LAN and serf WAN ports (the
// ones only agents use) and the command line that goes with them.
func (a *Agent) setClusterPorts(p []int) {
	a.WANAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p[2]))
	a.args = []string{"agent", "-dev", "-log-level", "warn",
		"-client", "127.0.0.1", "-bind", "127.0.0.1",
		"-datacenter", a.Datacenter, "-node", a.node,
		"-http-port", strconv.Itoa(a.httpPort), "-dns-port", "-1",
		"-grpc-port", "-1", "-grpc-tls-port", "-1",
		"-server-port", strconv.Itoa(p[0]),
		"-serf-lan-port", strconv.Itoa(p[1]), "-serf-wan-port", strconv.Itoa(p[2]),
	}
}

// Restart stops the agent and starts it again with the same HTTP address,
// waiting for a leader. Dev mode keeps nothing, so services must be registered
// again. The cluster ports are picked afresh (WANAddr changes): while the
// agent was down, anything in the test that asked the kernel for a free port
// could have been given one of them.
func (a *Agent) Restart(t testing.TB) {
	t.Helper()
	a.stop()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var p []int
		if p, err = freePorts(3); err != nil {
			t.Fatalf("consultest: free ports: %v", err)
		}
		a.setClusterPorts(p)
		if err = a.start(); err == nil {
			return
		}
		a.stop()
		if !strings.Contains(a.out.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("consultest: restarting consul agent %s: %v\nagent output:\n%s", a.Addr, err, a.out.String())
}

func (a *Agent) start() error {
	cmd := exec.Command(a.bin, a.args...)
	cmd.Stdout, cmd.Stderr = &a.out, &a.out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	a.mu.Lock()
	a.cmd, a.done = cmd, done
	a.mu.Unlock()

	deadline := time.Now().Add(readyTimeout)
	for {
		var leader string
		err := a.do(http.MethodGet, "/v1/status/leader", nil, &leader)
		if err == nil && leader != "" {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("agent exited before electing a leader: %v", cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no leader after %v (last error: %v)", readyTimeout, err)
		}
	}
}

func (a *Agent) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd == nil {
		return
	}
	nettest.Stop(a.cmd.Process, a.done)
	a.cmd = nil
}

// do sends one request to the agent's HTTP API, failing on any non-200 status,
// and decodes a JSON answer into out when out is non-nil.
func (a *Agent) do(method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+a.Addr+path, r)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// freePorts returns n distinct TCP ports that were free on 127.0.0.1 a moment
// ago; all are held open together so that they differ.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
