package discovery_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/consultest"
)

// watcher runs a Consul source for one test and keeps its latest snapshot.
type watcher struct {
	src  *discovery.Consul
	mu   sync.Mutex
	last *discovery.Snapshot
	n    int
}

func watch(t *testing.T, cfg discovery.ConsulConfig) *watcher {
	t.Helper()
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin, cfg.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	}
	if cfg.Wait == 0 {
		cfg.Wait = 2 * time.Second // short, so tests also cross wait timeouts
	}
	src, err := discovery.NewConsul(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{src: src}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, func(s *discovery.Snapshot) {
			w.mu.Lock()
			w.last, w.n = s, w.n+1
			w.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return w
}

// until waits up to 30 s for the latest snapshot to satisfy cond: a generous
// deadline, so a busy machine is slow rather than failing.
func (w *watcher) until(t *testing.T, what string, cond func(*discovery.Snapshot) bool) *discovery.Snapshot {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w.mu.Lock()
		s := w.last
		w.mu.Unlock()
		if s != nil && cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last snapshot %+v; status %+v", what, s, w.src.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func addrsOf(s *discovery.Snapshot, svc string) string {
	var out []string
	for _, in := range s.Instances(svc) {
		out = append(out, in.Addr)
	}
	return strings.Join(out, " ")
}

func has(svc, want string) func(*discovery.Snapshot) bool {
	return func(s *discovery.Snapshot) bool { return addrsOf(s, svc) == want }
}

func TestConsulSourceFollowsRegistrationsHealthAndTags(t *testing.T) {
	start := time.Now()
	agent := consultest.Start(t, consultest.Options{})
	w := watch(t, discovery.ConsulConfig{Address: agent.Addr})
	w.until(t, "the first (empty) snapshot", func(s *discovery.Snapshot) bool { return s.Source == "consul" })

	agent.Register(t, consultest.Service{ID: "inv-1", Name: "inv", Address: "127.0.0.1", Port: 9001,
		Tags: []string{"bulwark.route=/inventory"}, Meta: map[string]string{"bulwark-timeout": "2s"}})
	agent.Register(t, consultest.Service{ID: "inv-2", Name: "inv", Address: "127.0.0.1", Port: 9002,
		Tags: []string{"bulwark.route=/inventory"}})
	s := w.until(t, "both instances", has("inv", "127.0.0.1:9001 127.0.0.1:9002"))
	if l := s.LabelsOf("inv"); !slices.Equal(l.Tags, []string{"bulwark.route=/inventory"}) || l.Meta["bulwark-timeout"] != "2s" {
		t.Errorf("labels = %+v", l)
	}
	if s.Observed.Before(start) {
		t.Errorf("Observed = %v, want a time after the test started (%v)", s.Observed, start)
	}

	agent.Fail(t, "inv-1")
	s = w.until(t, "the failed instance to leave", has("inv", "127.0.0.1:9002"))
	if !slices.Equal(s.Changed, []string{"inv"}) {
		t.Errorf("Changed = %q, want only the service whose instance failed", s.Changed)
	}
	agent.Pass(t, "inv-1")
	w.until(t, "the recovered instance to return", has("inv", "127.0.0.1:9001 127.0.0.1:9002"))

	agent.Warn(t, "inv-2")
	w.until(t, "a warning instance to be excluded (the default)", has("inv", "127.0.0.1:9001"))
	agent.Pass(t, "inv-2")

	agent.Maintenance(t, "inv-1", true)
	w.until(t, "an instance in maintenance to leave", has("inv", "127.0.0.1:9002"))
	agent.Maintenance(t, "inv-1", false)
	w.until(t, "it to return after maintenance", has("inv", "127.0.0.1:9001 127.0.0.1:9002"))

	agent.NodeMaintenance(t, true)
	w.until(t, "node maintenance to drain every instance", has("inv", ""))
	if _, ok := w.until(t, "the service to stay known", has("inv", "")).Services.Get("inv"); !ok {
		t.Error("a service with no routable instance left the snapshot; its routes would 404 instead of 503")
	}
	agent.NodeMaintenance(t, false)
	w.until(t, "instances back after node maintenance", has("inv", "127.0.0.1:9001 127.0.0.1:9002"))

	agent.Register(t, consultest.Service{ID: "inv-1", Name: "inv", Address: "127.0.0.1", Port: 9001,
		Tags: []string{"bulwark.route=/stock"}})
	w.until(t, "the changed tag", func(s *discovery.Snapshot) bool {
		return slices.Contains(s.LabelsOf("inv").Tags, "bulwark.route=/stock")
	})

	agent.Deregister(t, "inv-1")
	agent.Deregister(t, "inv-2")
	w.until(t, "the deregistered service to leave", func(s *discovery.Snapshot) bool {
		_, ok := s.Services.Get("inv")
		_, labelled := s.Labels.Get("inv")
		return !ok && !labelled
	})
	// A service's watch ends on its own goroutine after the snapshot without
	// it is out: the watch list follows eventually, not at once.
	deadline := time.Now().Add(30 * time.Second)
	for st := w.src.Status(); st.Stale || len(st.Watches) != 1 || st.Watches[0].Name != "catalog"; st = w.src.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("status 30 s after deregistering everything: %+v, want only the catalog watch", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConsulSourceKeepsInstancesWhileConsulIsDownAndRecovers(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	w := watch(t, discovery.ConsulConfig{Address: agent.Addr})
	reg := consultest.Service{ID: "a-1", Name: "a", Address: "127.0.0.1", Port: 9101, Tags: []string{"bulwark.route=/a"}}
	agent.Register(t, reg)
	w.until(t, "the instance", has("a", "127.0.0.1:9101"))

	agent.Stop(t)
	deadline := time.Now().Add(10 * time.Second)
	for !w.src.Status().Stale {
		if time.Now().After(deadline) {
			t.Fatalf("status never turned stale with Consul down: %+v", w.src.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.until(t, "the last known instance to stay", has("a", "127.0.0.1:9101"))

	// Dev mode loses its state on restart: the index starts again from a low
	// number (it goes backwards) and the service must be registered again.
	agent.Restart(t)
	reg.Port = 9102
	agent.Register(t, reg)
	w.until(t, "the new registration after the restart", has("a", "127.0.0.1:9102"))
	deadline = time.Now().Add(10 * time.Second)
	for st := w.src.Status(); st.Stale; st = w.src.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("still stale after Consul came back: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConsulSourceFailsOverBetweenDatacenters(t *testing.T) {
	dc1 := consultest.Start(t, consultest.Options{Datacenter: "dc1"})
	dc2 := consultest.Start(t, consultest.Options{Datacenter: "dc2"})
	consultest.JoinWAN(t, dc1, dc2)
	dc1.Register(t, consultest.Service{ID: "pay-1", Name: "pay", Address: "127.0.0.1", Port: 9201, Tags: []string{"bulwark.route=/pay"}})
	dc2.Register(t, consultest.Service{ID: "pay-2", Name: "pay", Address: "127.0.0.2", Port: 9202})
	w := watch(t, discovery.ConsulConfig{Address: dc1.Addr, Failover: map[string][]string{"pay": {"dc1", "dc2"}}})

	w.until(t, "the local datacenter to serve", has("pay", "127.0.0.1:9201"))
	dc1.Fail(t, "pay-1")
	s := w.until(t, "failover to dc2", has("pay", "127.0.0.2:9202"))
	if !slices.Contains(s.LabelsOf("pay").Tags, "bulwark.route=/pay") {
		t.Errorf("failing over lost the route labels: %+v", s.LabelsOf("pay"))
	}
	dc1.Pass(t, "pay-1")
	w.until(t, "failback to dc1", has("pay", "127.0.0.1:9201"))
}

// TestConsulSourceSurvivesGarbageAnswers answers the source's queries from a
// test server (a real agent does not send HTML): HTML, truncated JSON and a
// 403 are each reported in the status, and the watch recovers by itself when
// the answers are good again.
func TestConsulSourceSurvivesGarbageAnswers(t *testing.T) {
	var mode atomic.Value
	mode.Store("good")
	var index atomic.Int64
	index.Store(10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") == fmt.Sprint(index.Load()) {
			time.Sleep(50 * time.Millisecond) // a short blocking wait: nothing changed
		}
		w.Header().Set("X-Consul-Index", fmt.Sprint(index.Load()))
		switch m := mode.Load().(string); {
		case m == "html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
		case m == "truncated":
			fmt.Fprint(w, `{"svc": ["bulwark.rou`)
		case m == "forbidden":
			http.Error(w, "Permission denied", http.StatusForbidden)
		case r.URL.Path == "/v1/catalog/services":
			fmt.Fprint(w, `{"svc": ["bulwark.route=/svc"]}`)
		default:
			fmt.Fprint(w, `[{"Node": {"Node": "n1", "Address": "127.0.0.1"},
				"Service": {"ID": "svc-1", "Service": "svc", "Port": 9301, "Tags": ["bulwark.route=/svc"]},
				"Checks": [{"CheckID": "serfHealth", "Status": "passing"}]}]`)
		}
	}))
	defer srv.Close()
	w := watch(t, discovery.ConsulConfig{Address: srv.Listener.Addr().String(), Wait: time.Second})
	w.until(t, "the instance", has("svc", "127.0.0.1:9301"))

	for _, m := range []string{"html", "truncated", "forbidden"} {
		mode.Store(m)
		index.Add(1)
		deadline := time.Now().Add(10 * time.Second)
		for !w.src.Status().Stale {
			if time.Now().After(deadline) {
				t.Fatalf("%s: status never turned stale: %+v", m, w.src.Status())
			}
			time.Sleep(5 * time.Millisecond)
		}
		w.until(t, m+": the last known instance to stay", has("svc", "127.0.0.1:9301"))
		mode.Store("good")
		index.Add(1)
		deadline = time.Now().Add(10 * time.Second)
		for w.src.Status().Stale {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the watch did not recover: %+v", m, w.src.Status())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if st := w.src.Status(); st.Errors < 3 {
		t.Errorf("errors_total = %d after three kinds of bad answer", st.Errors)
	}
}
