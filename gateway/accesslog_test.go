package gateway

import (
	"net/http"
	"testing"
)

func TestAccessLog(t *testing.T) {
	t.Parallel()
	for _, enabled := range []bool{true, false} {
		name := "an access log line is written for every request"
		if !enabled {
			name = "no access log line is written when the access log is off"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, "up", nil)
			h := newHarness(t, Config{
				Routes:    []Route{{Name: "pets", Path: "/pets", Service: "pets"}},
				AccessLog: enabled,
			}, snapshot(t, map[string][]string{"pets": {up.Addr()}}))

			ok, _ := h.get(t, "/pets/1", "X-Request-Id: req-1")
			missing, _ := h.get(t, "/nowhere")
			if ok.StatusCode != http.StatusOK || missing.StatusCode != http.StatusNotFound {
				t.Fatalf("statuses %d, %d", ok.StatusCode, missing.StatusCode)
			}
			// Accounting happens after the response; once both requests are
			// counted, their log lines (written just after) are there too.
			eventually(t, "both requests to be counted", func() bool {
				v, _ := metricValue(t, h.reg, "bulwark_request_duration_seconds", nil)
				return v == 2
			})
			lines := h.logs.lines(t, "access")
			if !enabled {
				if len(lines) != 0 {
					t.Fatalf("%d access log lines with the access log off: %v", len(lines), lines)
				}
				return
			}
			eventually(t, "two access log lines", func() bool { return len(h.logs.lines(t, "access")) == 2 })
			lines = h.logs.lines(t, "access")
			want := []map[string]any{
				{"msg": "request", "method": "GET", "path": "/pets/1", "status": float64(200), "route": "pets",
					"service": "pets", "instance": up.Addr(), "request_id": "req-1"},
				{"msg": "request", "method": "GET", "path": "/nowhere", "status": float64(404),
					"request_id": missing.Header.Get("X-Request-Id")},
			}
			for i, w := range want {
				for k, v := range w {
					if lines[i][k] != v {
						t.Errorf("line %d: %s = %v, want %v (%v)", i, k, lines[i][k], v, lines[i])
					}
				}
			}
			if _, ok := lines[1]["route"]; ok {
				t.Errorf("an unrouted request logged a route: %v", lines[1])
			}
			if id, _ := lines[1]["request_id"].(string); !hex32.MatchString(id) {
				t.Errorf("the 404 logged request_id %q, want a generated one", id)
			}
		})
	}
}
