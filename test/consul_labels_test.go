package test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/consultest"
)

// TestConsulLabelsReachTheBalancerAndTheCatalog: the labels discovery and the
// catalog take from the one label parser through the command's wiring, an
// instance's weight and a service's document path, apply to a real Consul
// registration. Either wire missing would drop them without a word.
func TestConsulLabelsReachTheBalancerAndTheCatalog(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/spec/api.json" { // not one of the places the catalog probes
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"openapi":"3.0.3","info":{"title":"Labelled API","version":"1"},"paths":{}}`)
	}))
	t.Cleanup(srv.Close)
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	pr := startServe(t, consulConfig(agent, ""))
	agent.Register(t, consultest.Service{ID: "docs-1", Name: "docs", Address: host, Port: p,
		Tags: []string{"bulwark.route=/docs", "bulwark.weight=7"}, Meta: map[string]string{"bulwark-openapi": "/spec/api.json"}})
	c := newClient(t)

	var view struct {
		Instances []struct {
			Weight int `json:"weight"`
		} `json:"instances"`
	}
	if !eventually(15*time.Second, func() bool {
		r := do(t, c, "GET", pr.adminURL("/api/v1/services/docs"), nil, "Authorization", "Bearer "+adminToken)
		return r.Status == 200 && json.Unmarshal([]byte(r.Body), &view) == nil && len(view.Instances) == 1 && view.Instances[0].Weight == 7
	}) {
		t.Errorf("the instance's weight never became its label's 7: %+v", view)
	}
	var entry struct {
		Location string `json:"location"`
		Title    string `json:"title"`
	}
	if !eventually(15*time.Second, func() bool {
		r := do(t, c, "GET", pr.url("/portal/api/services/docs"), nil)
		return r.Status == 200 && json.Unmarshal([]byte(r.Body), &entry) == nil && entry.Location == "/spec/api.json"
	}) {
		t.Errorf("the catalog never read the document the meta names: %+v", entry)
	}
	if entry.Title != "Labelled API" {
		t.Errorf("catalogued title %q, want Labelled API", entry.Title)
	}
	pr.checkNoRace()
}
