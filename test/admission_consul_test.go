package test

// Admission policy from Consul labels, through a real agent: a rate limit a
// service's meta sets applies to its label route; a label naming a JWKS URL
// is reported and ignored, and the address it names is never called (a
// service's team must not make the gateway fetch from where it likes).

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/consultest"
)

func TestAdmissionConsulLabels(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	up := newRecorder(t, nil)
	trap := newCounter(t)
	gw := startServe(t, consulConfig(agent, ""))
	c := newClient(t)
	register := func(id, name string, meta map[string]string) {
		host, port, _ := net.SplitHostPort(up.Addr())
		p, _ := strconv.Atoi(port)
		agent.Register(t, consultest.Service{ID: id, Name: name, Address: host, Port: p,
			Tags: []string{"bulwark.route=/" + name}, Meta: meta})
	}
	register("lim-1", "lim", map[string]string{"bulwark-rate-limit-rate": "2/m", "bulwark-rate-limit-key": "route"})
	register("jw-1", "jw", map[string]string{
		"bulwark-auth-jwt-jwks-url":     trap.srv.URL + "/jwks.json",
		"bulwark-auth-api-keys-enabled": "true",
	})

	// The label route appears with its limit: of every request sent once it
	// answers, two in all are admitted.
	first := until(t, c, gw.url("/lim/x"), "the label route /lim", func(r response) bool { return r.Status == 200 || r.Status == 429 })
	admitted := 0
	if first.Status == 200 {
		admitted++
	}
	for range 6 {
		r := do(t, c, "GET", gw.url("/lim/x"), nil)
		switch r.Status {
		case 200:
			admitted++
		case 429:
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		default:
			t.Errorf("GET /lim/x: %d %s", r.Status, r.Body)
		}
	}
	if admitted != 2 {
		t.Errorf("the label bulwark-rate-limit-rate=2/m admitted %d of 7 requests, want 2", admitted)
	}

	// The JWKS label: reported, and the address it names never called,
	// whatever tokens arrive.
	until(t, c, gw.url("/jw/x"), "the label route /jw", func(r response) bool { return r.Status != 404 })
	tok := newIDP(t).RS256(claims("alice"))
	for range 5 {
		r := do(t, c, "GET", gw.url("/jw/x"), nil, "Authorization", "Bearer "+tok)
		if r.Status == 200 {
			t.Errorf("a JWT was admitted on a route whose only JWKS came from a label")
		}
		if r.Status >= 500 {
			t.Errorf("GET /jw/x with a token: %d %s", r.Status, r.Body)
		}
	}
	if n := trap.n.Load(); n != 0 {
		t.Errorf("the address a label named as JWKS URL received %d requests, want 0", n)
	}
	var view response
	if !eventually(10*time.Second, func() bool {
		view = adminGet(t, c, gw, "/api/v1/services/jw")
		return view.Status == http.StatusOK && strings.Contains(view.Body, "bulwark-auth-jwt-jwks-url")
	}) {
		t.Errorf("the JWKS label is not among the service's problems: %d %s", view.Status, view.Body)
	}
	if i := strings.Index(view.Body, "bulwark-auth-jwt-jwks-url"); i >= 0 {
		t.Logf("reported: …%s…", view.Body[max(0, i-40):min(len(view.Body), i+160)])
	}
	gw.checkNoRace()
}
