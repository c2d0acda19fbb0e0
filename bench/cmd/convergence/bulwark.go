package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// gateway is a running bulwark and an HTTP client that polls it.
type gateway struct {
	*proc
	base, admin string
	client      *http.Client
}

func startBulwark(bin, dir, consulAddr string) (*gateway, error) {
	p, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	listen := "127.0.0.1:" + strconv.Itoa(p[0])
	admin := "127.0.0.1:" + strconv.Itoa(p[1])
	cfg := fmt.Sprintf(`listen:
  http: %s
admin:
  listen: %s
  token: bench
log:
  level: warn
  access_log: false
discovery:
  consul:
    address: %s
%s`, listen, admin, consulAddr, portalConfig())
	path := filepath.Join(dir, "bulwark.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	pr, err := startProc("bulwark", filepath.Join(dir, "bulwark.log"), bin, "serve", "-c", path)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = 8
	tr.DisableCompression = true
	return &gateway{proc: pr, base: "http://" + listen, admin: "http://" + admin,
		client: &http.Client{Transport: tr, Timeout: 5 * time.Second}}, nil
}

// get sends GET path through bulwark and returns the status (0: no answer).
func (g *gateway) get(path string) int {
	resp, err := g.client.Get(g.base + path)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitRoutes waits until every path answers its wanted status, in turn.
func (g *gateway) waitRoutes(ctx context.Context, want map[string]int, paths []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, p := range paths {
		for {
			got := g.get(p)
			if got == want[p] {
				break
			}
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case g.exited():
				return fmt.Errorf("bulwark exited; its log: %q", g.tail(20))
			case time.Now().After(deadline):
				return fmt.Errorf("after %v, %s answers %d, want %d", timeout, p, got, want[p])
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// metrics reads the given Prometheus samples (exact series names, no labels)
// from bulwark's admin listener.
func (g *gateway) metrics(names ...string) (map[string]float64, error) {
	resp, err := g.client.Get(g.admin + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || !want[name] {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// portalConfig turns the portal off unless PORTAL=on: its documentation
// catalog fetches every new service's documents in the background (a
// thousand at start), which is not the routing work measured here.
func portalConfig() string {
	if os.Getenv("PORTAL") == "on" {
		return ""
	}
	return "portal:\n  path: \"\"\n"
}

// profile saves a CPU profile of bulwark over the next d (PROFILE_DIR=dir),
// to see where the CPU per change goes; the polls are in it too.
func (g *gateway) profile(ctx context.Context, path string, d time.Duration) {
	g.pprof(ctx, path, fmt.Sprintf("profile?seconds=%d", int(d.Seconds())), d)
}

// snapshot saves bulwark's heap (after a GC) and goroutine profiles under
// PROFILE_DIR, to see what each service and instance costs in memory.
func (g *gateway) snapshot(ctx context.Context, dir string, n int) {
	g.pprof(ctx, filepath.Join(dir, fmt.Sprintf("bulwark-%d.heap", n)), "heap?gc=1", 0)
	g.pprof(ctx, filepath.Join(dir, fmt.Sprintf("bulwark-%d.goroutine", n)), "goroutine", 0)
	g.pprof(ctx, filepath.Join(dir, fmt.Sprintf("bulwark-%d.memstats", n)), "../../metrics", 0) // go_memstats_*: stacks, heap, GC metadata
}

// pprof saves one of bulwark's /debug/pprof/ answers to path.
func (g *gateway) pprof(ctx context.Context, path, what string, d time.Duration) {
	req, err := http.NewRequestWithContext(ctx, "GET", g.admin+"/debug/pprof/"+what, nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer bench")
	resp, err := (&http.Client{Timeout: d + 10*time.Second}).Do(req)
	if err != nil {
		logf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		logf("profile: %s", resp.Status)
		return
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		logf("profile: %v", err)
	}
}

// profileDuration is PROFILE_SECONDS, else 15 s: about the event phase of 50
// events of each kind at 1,000 services.
func profileDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("PROFILE_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 15 * time.Second
}
