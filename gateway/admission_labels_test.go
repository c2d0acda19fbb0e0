package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
)

// A service's team tunes its own admission with Consul labels, as with any
// policy key; but a label that would make the gateway call an address (a
// JWKS, a forward auth service) is refused and reported, never fetched.
func TestAdmissionFromLabels(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	var fetched int
	bait := newUpstream(t, "bait", func(w http.ResponseWriter, _ *http.Request) { fetched++ })
	h := newHarness(t, Config{}, labelled(t, map[string][]string{"svc": {up.Addr()}},
		map[string]discovery.Labels{"svc": {Meta: map[string]string{
			"bulwark-route":             "/svc",
			"bulwark-rate-limit-rate":   "2/h",
			"bulwark-cors-origins":      "https://a.example.com, https://b.example.com",
			"bulwark-auth-jwt-jwks-url": "http://" + bait.Addr() + "/jwks",
			"bulwark-auth-forward-url":  "http://" + bait.Addr() + "/auth",
		}}}))
	srv := adminServer(t, h)

	var codes []int
	for range 3 {
		res, _ := h.get(t, "/svc/x", "Origin: https://b.example.com")
		codes = append(codes, res.StatusCode)
		if res.StatusCode == 200 && res.Header.Get("Access-Control-Allow-Origin") != "https://b.example.com" {
			t.Errorf("the label's CORS origins did not apply: %q", res.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want 200 200 429 from the label's 2/h", codes)
	}
	if fetched != 0 || bait.Count() != 0 {
		t.Errorf("a label made the gateway call %d times an address the file never named", bait.Count())
	}
	s, ok := adminService(t, srv, "svc")
	if !ok {
		t.Fatal("svc is not listed")
	}
	problems := strings.Join(s.Problems, "\n")
	for _, label := range []string{"bulwark-auth-jwt-jwks-url", "bulwark-auth-forward-url"} {
		if !strings.Contains(problems, label) {
			t.Errorf("the label %s is not reported: problems %q", label, s.Problems)
		}
	}
}
