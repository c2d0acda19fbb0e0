package gateway

import (
	"fmt"
	"net/http"
	"testing"
)

// A request is recorded against the state it started with: a reload that
// turns the access log on or off while a request is upstream changes the
// requests that start after it, not that one.
func TestARequestIsRecordedAgainstTheStateItStartedWith(t *testing.T) {
	t.Parallel()
	for _, before := range []bool{true, false} {
		t.Run(fmt.Sprint("access_log=", before), func(t *testing.T) {
			t.Parallel()
			arrived, release := make(chan struct{}), make(chan struct{})
			up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
				close(arrived)
				<-release
			})
			cfg := Config{Routes: []Route{{Path: "/", Service: "s"}}, AccessLog: before}
			snap := snapshot(t, map[string][]string{"s": {up.Addr()}})
			h := newHarness(t, cfg, snap)
			done := make(chan struct{})
			go func() {
				defer close(done)
				res, err := h.client.Get(h.url("/slow"))
				if err == nil {
					res.Body.Close()
				}
			}()
			<-arrived
			cfg.AccessLog = !before
			h.g.Configure(cfg, nil)
			close(release)
			<-done
			lines := 0
			for _, l := range h.logs.lines(t, "access") {
				if l["path"] == "/slow" {
					lines++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[before]; lines != want {
				t.Errorf("the request started with the access log %v logged %d lines, want %d", before, lines, want)
			}
		})
	}
}
