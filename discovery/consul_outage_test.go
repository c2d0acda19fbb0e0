package discovery_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/consultest"
)

// logBuffer keeps a source's JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records decodes the lines logged at level or above.
func (b *logBuffer) records(t *testing.T, min slog.Level) []map[string]any {
	t.Helper()
	b.mu.Lock()
	data := append([]byte(nil), b.buf.Bytes()...)
	b.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(data) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		var l slog.Level
		if err := l.UnmarshalText([]byte(m["level"].(string))); err != nil {
			t.Fatal(err)
		}
		if l >= min {
			out = append(out, m)
		}
	}
	return out
}

// count is how many lines at level or above have message msg.
func (b *logBuffer) count(t *testing.T, min slog.Level, msg string) int {
	n := 0
	for _, r := range b.records(t, min) {
		if r["msg"] == msg {
			n++
		}
	}
	return n
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

const (
	msgFailing   = "consul discovery is failing; routing with the last known instances until it answers again"
	msgRecovered = "consul discovery recovered"
)

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConsulOutageLogsOneWarningAndOneRecovery: with several watches retrying
// through an outage, the log gets one WARN for the outage of discovery as a
// whole (not one per watch and retry: five watches logged 25 lines in 10 s)
// and one INFO when it recovers, saying how long it was down; every failed
// query is still counted, by watch kind.
func TestConsulOutageLogsOneWarningAndOneRecovery(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	const services = 5
	for i := range services {
		agent.Register(t, consultest.Service{ID: fmt.Sprintf("s%d-1", i), Name: fmt.Sprintf("s%d", i),
			Address: "127.0.0.1", Port: 9400 + i, Tags: []string{fmt.Sprintf("bulwark.route=/s%d", i)}})
	}
	logs := &logBuffer{}
	w := watch(t, discovery.ConsulConfig{Address: agent.Addr, Logger: logs.logger()})
	w.until(t, "every service", func(s *discovery.Snapshot) bool { return s.Services.Len() == services })
	if n := len(w.src.Status().Watches); n != services+1 {
		t.Fatalf("%d watches, want %d", n, services+1)
	}

	agent.Stop(t)
	// Every watch fails, and retries several times.
	waitFor(t, "every watch to fail and retry", func() bool {
		st := w.src.Status()
		return st.ErrorsByWatch[discovery.WatchService] >= 3*services && st.ErrorsByWatch[discovery.WatchCatalog] >= 3
	})
	st := w.src.Status()
	if st.DownSince.IsZero() || !st.Stale {
		t.Errorf("during the outage: down_since %v, stale %v", st.DownSince, st.Stale)
	}
	if n := logs.count(t, slog.LevelWarn, msgFailing); n != 1 {
		t.Errorf("%d %q lines for one outage, want 1", n, msgFailing)
	}
	if warns := logs.records(t, slog.LevelWarn); len(warns) != 1 {
		t.Errorf("%d warnings after %d failed queries, want the one for the outage: %v", len(warns), st.Errors, warns)
	}

	agent.Restart(t)
	waitFor(t, "the recovery line", func() bool { return logs.count(t, slog.LevelInfo, msgRecovered) > 0 })
	w.until(t, "the restarted agent's empty catalog", func(s *discovery.Snapshot) bool { return s.Services.Len() == 0 })
	waitFor(t, "no watch failing", func() bool { st := w.src.Status(); return !st.Stale && st.DownSince.IsZero() })
	for _, r := range logs.records(t, slog.LevelInfo) {
		if r["msg"] == msgRecovered {
			if d, err := time.ParseDuration(fmt.Sprint(r["down_for"])); err != nil || d <= 0 {
				t.Errorf("the recovery line's down_for = %v, want a positive duration", r["down_for"])
			}
			if n, _ := r["failed_queries"].(float64); n < 3*services {
				t.Errorf("the recovery line's failed_queries = %v, want at least the %d counted during the outage", r["failed_queries"], 3*services)
			}
		}
	}
	if n := logs.count(t, slog.LevelInfo, msgRecovered); n != 1 {
		t.Errorf("%d recovery lines, want 1", n)
	}
	if n := logs.count(t, slog.LevelWarn, msgFailing); n != 1 {
		t.Errorf("%d failing lines in all, want 1", n)
	}
}

// TestConsulNeverAnsweringLogsOnce: a source pointed at a closed port fails
// every query from the start; it says so once, and counts every retry.
func TestConsulNeverAnsweringLogsOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every query is refused

	logs := &logBuffer{}
	w := watch(t, discovery.ConsulConfig{Address: addr, Logger: logs.logger()})
	waitFor(t, "several failed queries", func() bool { return w.src.Status().ErrorsByWatch[discovery.WatchCatalog] >= 5 })
	if warns := logs.records(t, slog.LevelWarn); len(warns) != 1 || warns[0]["msg"] != msgFailing ||
		!strings.Contains(fmt.Sprint(warns[0]["err"]), "refused") || warns[0]["watch"] != discovery.WatchCatalog {
		t.Errorf("warnings = %v, want the one %q naming the catalog watch and the refused connection", warns, msgFailing)
	}
	if st := w.src.Status(); st.ErrorsByWatch[discovery.WatchService] != 0 || st.Errors != st.ErrorsByWatch[discovery.WatchCatalog] {
		t.Errorf("errors_by_watch = %v, errors_total = %d: only the catalog watch runs", st.ErrorsByWatch, st.Errors)
	}
}
