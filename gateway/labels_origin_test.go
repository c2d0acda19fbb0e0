package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// TestLabelTypoShowsInTheAdminAPIAndTheLog: the suggestion reaches the
// places an operator looks, GET /api/v1/services/NAME and the log.
func TestLabelTypoShowsInTheAdminAPIAndTheLog(t *testing.T) {
	t.Parallel()
	inv := newUpstream(t, "inv", nil)
	snap := snapshot(t, map[string][]string{"inv": {inv.Addr()}})
	snap.Labels = pmap.From(map[string]discovery.Labels{"inv": tags("bulwark.route=/inv", "bulwark.rout=/x")})
	h := newHarness(t, Config{}, snap)
	srv := adminServer(t, h)

	const want = `tag "bulwark.rout=/x": unknown label "rout" (did you mean "route"?)`
	res, body := adminGet(t, srv, "/api/v1/services/inv", "Bearer T")
	var view struct {
		Problems []string `json:"problems"`
	}
	if err := json.Unmarshal(body, &view); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /api/v1/services/inv = %d %s (%v)", res.StatusCode, body, err)
	}
	if len(view.Problems) != 1 || !strings.Contains(view.Problems[0], want) {
		t.Errorf("problems = %q, want one containing %q", view.Problems, want)
	}
	logged := false
	for _, l := range h.logs.lines(t, "gateway") {
		p, _ := l["problem"].(string)
		logged = logged || l["msg"] == "service label problem" && l["service"] == "inv" && strings.Contains(p, want)
	}
	if !logged {
		t.Errorf("no log line carries the suggestion: %v", h.logs.lines(t, "gateway"))
	}
}
