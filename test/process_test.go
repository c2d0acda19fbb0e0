package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds used throughout: nothing in these tests waits without one.
const (
	startTimeout = 15 * time.Second // the process answers /healthz
	exitTimeout  = 10 * time.Second // the process exits after a signal
	cmdTimeout   = 20 * time.Second // a one-shot command (check, version)
	reqTimeout   = 5 * time.Second  // one HTTP request
)

// lockedBuffer collects a process's output; the exec copier writes while tests read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runBulwark runs a one-shot subcommand and returns its output and exit code.
func runBulwark(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
	default:
		t.Fatalf("running bulwark %v: %v\nstderr:\n%s", args, err, errb.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("bulwark %v did not finish within %v", args, cmdTimeout)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// ports are the two listener addresses a generated config uses.
type ports struct {
	HTTP, Admin string
	HTTPS       string // demo only; "" when unused
}

// freeAddr picks a free loopback port: listen on :0, note the port, close. Another
// process may take it before bulwark binds it; startServe retries when that happens.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// proc is a running bulwark process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{} // closed once the process has exited and its output is copied
	ports  ports
	// ConfigPath is the file the process was started with (serve only).
	ConfigPath string
}

// adminToken is the token every generated config sets.
const adminToken = "e2e-admin-token"

// startServe writes the config that render returns for a pair of free ports into
// a fresh directory and runs `bulwark serve -c FILE`, retrying with new ports when
// one was taken in between. It returns once the admin listener answers /healthz.
func startServe(t *testing.T, render func(p ports) string) *proc {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "bulwark.yaml")
	var lastErr string
	for attempt := 0; attempt < 5; attempt++ {
		p := ports{HTTP: freeAddr(t), Admin: freeAddr(t)}
		writeFile(t, path, render(p))
		pr := startProc(t, p, "serve", "-c", path)
		pr.ConfigPath = path
		switch err := pr.waitHealthy(); {
		case err == nil:
			return pr
		case strings.Contains(pr.stderr.String(), "address already in use"):
			lastErr = pr.stderr.String()
			continue // a port was taken between freeAddr and bind: try others
		default:
			t.Fatalf("bulwark did not start: %v\nconfig:\n%s\nstderr:\n%s", err, render(p), pr.stderr.String())
		}
	}
	t.Fatalf("bulwark could not bind free ports in 5 attempts; last stderr:\n%s", lastErr)
	return nil
}

// startDemo runs `bulwark demo --http ADDR --https ADDR --admin ADDR` with its
// certificate in a temporary folder, retrying on a taken port.
func startDemo(t *testing.T) *proc {
	t.Helper()
	for attempt := 0; attempt < 5; attempt++ {
		p := ports{HTTP: freeAddr(t), Admin: freeAddr(t)}
		p.HTTPS = freeAddr(t)
		pr := startProc(t, p, "demo", "--http", p.HTTP, "--admin", p.Admin, "--https", p.HTTPS, "--data", t.TempDir())
		switch err := pr.waitHealthy(); {
		case err == nil:
			return pr
		case strings.Contains(pr.stderr.String(), "address already in use"):
			continue
		default:
			t.Fatalf("bulwark demo did not start: %v\nstderr:\n%s", err, pr.stderr.String())
		}
	}
	t.Fatal("bulwark demo could not bind free ports in 5 attempts")
	return nil
}

// startProc starts the binary and registers its cleanup: the process is killed if
// still running, and its output is printed when the test failed.
func startProc(t *testing.T, p ports, args ...string) *proc {
	t.Helper()
	pr := &proc{
		t:      t,
		cmd:    exec.Command(binPath, args...),
		stdout: &lockedBuffer{},
		stderr: &lockedBuffer{},
		done:   make(chan struct{}),
		ports:  p,
	}
	pr.cmd.Stdout, pr.cmd.Stderr = pr.stdout, pr.stderr
	if err := pr.cmd.Start(); err != nil {
		t.Fatalf("starting bulwark: %v", err)
	}
	go func() {
		_ = pr.cmd.Wait()
		close(pr.done)
	}()
	t.Cleanup(func() {
		pr.kill()
		if t.Failed() {
			t.Logf("bulwark %v stderr:\n%s", args, pr.stderr.String())
			if out := pr.stdout.String(); out != "" {
				t.Logf("bulwark %v stdout:\n%s", args, out)
			}
		}
	})
	return pr
}

// kill ends the process if it is still running and waits for it (bounded).
func (pr *proc) kill() {
	select {
	case <-pr.done:
		return
	default:
	}
	_ = pr.cmd.Process.Kill()
	select {
	case <-pr.done:
	case <-time.After(exitTimeout):
		pr.t.Errorf("bulwark (pid %d) did not die within %v of SIGKILL", pr.cmd.Process.Pid, exitTimeout)
	}
}

// exited reports whether the process has ended.
func (pr *proc) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// waitHealthy polls the admin /healthz until it answers 200, the process exits,
// or startTimeout passes.
func (pr *proc) waitHealthy() error {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if pr.exited() {
			return fmt.Errorf("the process exited (%v)", pr.cmd.ProcessState)
		}
		res, err := c.Get("http://" + pr.ports.Admin + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from http://%s/healthz within %v", pr.ports.Admin, startTimeout)
}

// signal sends sig to the process.
func (pr *proc) signal(sig syscall.Signal) {
	pr.t.Helper()
	if err := pr.cmd.Process.Signal(sig); err != nil {
		pr.t.Fatalf("sending %v: %v", sig, err)
	}
}

// waitExit waits (bounded) for the process to exit and returns its exit code.
func (pr *proc) waitExit(within time.Duration) int {
	pr.t.Helper()
	select {
	case <-pr.done:
		return pr.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		pr.t.Fatalf("bulwark did not exit within %v", within)
		return -1
	}
}

// url is a URL on the gateway listener.
func (pr *proc) url(path string) string { return "http://" + pr.ports.HTTP + path }

// adminURL is a URL on the admin listener.
func (pr *proc) adminURL(path string) string { return "http://" + pr.ports.Admin + path }

// checkNoRace fails the test if the race detector reported anything in the binary.
func (pr *proc) checkNoRace() {
	pr.t.Helper()
	if strings.Contains(pr.stderr.String(), "WARNING: DATA RACE") {
		pr.t.Error("the race detector found a data race in bulwark (see stderr)")
	}
}

// writeFile writes data to path atomically, as editors and config managers do:
// a temp file in the same directory, then a rename over the old file.
func writeFile(t *testing.T, path, data string) {
	t.Helper()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		t.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		t.Fatal(err)
	}
}

// newClient returns an HTTP client with its own connection pool, closed at the
// end of the test (so no keep-alive goroutine outlives it).
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: reqTimeout}
}

// response is a fully read HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// do sends one request and reads the whole response; a transport error fails the test.
func do(t *testing.T, c *http.Client, method, url string, body io.Reader, header ...string) response {
	t.Helper()
	res, err := tryDo(c, method, url, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return res
}

// tryDo is do returning the error. header is a list of name, value pairs.
func tryDo(c *http.Client, method, url string, body io.Reader, header ...string) (response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return response{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("reading the body: %w", err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}, nil
}

// eventually polls cond every 50 ms until it returns true or within passes.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricValue returns the value of an unlabelled series in a Prometheus text
// exposition, and whether it was found.
func metricValue(exposition, name string) (string, bool) {
	for _, line := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// knownBug skips a test that guards a bug someone else is fixing, unless
// BULWARK_E2E_BUGS=1 asks to run it anyway (to see it fail, or pass once fixed).
func knownBug(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("BULWARK_E2E_BUGS") == "" {
		t.Skip("BUG: " + reason)
	}
	t.Log("known bug, run because BULWARK_E2E_BUGS is set: " + reason)
}
