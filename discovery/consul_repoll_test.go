package discovery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
)

// A watch's blocking queries after its first are sent by repoll from the
// request consul/api made (issue 20, stacks). What reaches the agent must
// be what consul/api itself sends for the same blocking query: the same
// path, parameters and header fields, token, basic auth and namespace
// included, from the environment and the configuration as users set them.
func TestRepollSendsWhatConsulAPISends(t *testing.T) {
	setConsulEnv(t)
	seen := make(chan *http.Request, 4)
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r
		w.Header().Set("X-Consul-Index", "7")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	defer agent.Close()
	c, err := NewConsul(ConsulConfig{Address: agent.Listener.Addr().String(), Token: "t0ken", Datacenter: "dc2", Wait: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c.lp == nil {
		t.Fatal("the client's transport is not h1: the watch would not split its queries")
	}
	ctx := context.Background()

	// The template: a first query through consul/api.
	_, _, tmpl, err := c.serviceHealth("web", queryOptions(ctx, 0, c.cfg.Wait))
	if err != nil || tmpl == nil {
		t.Fatalf("first query: template %v, %v", tmpl, err)
	}
	<-seen

	// repoll's blocking query, sent and awaited apart as a watch does.
	p, err := c.lp.Send(withIndex(ctx, c.templates.share("", tmpl), 5, c.cfg.Wait))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	entries, next, err := readHealth(res, "web")
	if err != nil || next != 7 || len(entries) != 0 {
		t.Fatalf("repoll's answer: %v entries, index %d, %v", entries, next, err)
	}
	ours := <-seen

	// consul/api's own blocking query with the same options.
	var out []*api.ServiceEntry
	if _, err := c.client.Raw().Query("/v1/health/service/web", &out, queryOptions(ctx, 5, c.cfg.Wait)); err != nil {
		t.Fatal(err)
	}
	theirs := <-seen

	if ours.Method != theirs.Method || ours.URL.Path != theirs.URL.Path {
		t.Errorf("request %s %s, consul/api's %s %s", ours.Method, ours.URL.Path, theirs.Method, theirs.URL.Path)
	}
	if q, want := ours.URL.Query(), theirs.URL.Query(); !reflect.DeepEqual(q, want) {
		t.Errorf("parameters %v, consul/api's %v", q, want)
	}
	if !reflect.DeepEqual(ours.Header, theirs.Header) {
		t.Errorf("header fields %v, consul/api's %v", ours.Header, theirs.Header)
	}
	if theirs.URL.Query().Get("index") != "5" || theirs.Header.Get("X-Consul-Token") != "t0ken" || theirs.URL.Query().Get("ns") != "team-a" {
		t.Errorf("consul/api's own query lacks what the test sets: %v %v", theirs.URL, theirs.Header)
	}
}

// An answer other than 200 is consul/api's error, with the agent's words.
func TestRepollReadsErrorsAsConsulAPIDoes(t *testing.T) {
	res := &http.Response{StatusCode: 403, Body: http.NoBody, Header: http.Header{}}
	res.Body = nopBody("Permission denied\n")
	_, _, err := readHealth(res, "web")
	var se api.StatusError
	if !asStatusError(err, &se) || se.Code != 403 || se.Body != "Permission denied" {
		t.Fatalf("error %v (%T), want api.StatusError 403 with the body", err, err)
	}
	res = &http.Response{StatusCode: 200, Header: http.Header{"X-Consul-Index": {"seven"}}, Body: nopBody("[]")}
	if _, _, err := readHealth(res, "web"); err == nil {
		t.Fatal("an index that is not a number was accepted")
	}
}

func nopBody(s string) *bodyString { return &bodyString{Reader: strings.NewReader(s)} }

type bodyString struct{ *strings.Reader }

func (bodyString) Close() error { return nil }

func asStatusError(err error, se *api.StatusError) bool { return errors.As(err, se) }

// The watches of one datacenter share one request and keep their paths;
// a request that differs in more than its path (a token changed, another
// datacenter) is not shared.
func TestWatchesShareTheirDatacentersRequest(t *testing.T) {
	captured := func(service, token string) *http.Request {
		r, _ := http.NewRequest("GET", "http://127.0.0.1:8500/v1/health/service/"+service+"?dc=dc2&wait=300000ms", nil)
		r.Header.Set("X-Consul-Token", token)
		return r
	}
	var ts templates
	a := ts.share("dc2", captured("web", "t1"))
	b := ts.share("dc2", captured("api", "t1"))
	if a.req != b.req {
		t.Fatal("two watches of one datacenter hold a request each")
	}
	ctx := context.Background()
	for tmpl, want := range map[*template]string{&a: "/v1/health/service/web", &b: "/v1/health/service/api"} {
		req := withIndex(ctx, *tmpl, 9, time.Minute)
		if req.URL.Path != want || req.URL.Query().Get("index") != "9" || req.URL.Query().Get("dc") != "dc2" ||
			req.URL.Query().Get("wait") != "60000ms" || req.Header.Get("X-Consul-Token") != "t1" {
			t.Errorf("query for %s: %s %v", want, req.URL, req.Header)
		}
	}
	if c := ts.share("dc2", captured("db", "t2")); c.req == a.req || c.req.Header.Get("X-Consul-Token") != "t2" {
		t.Error("a request with another token was shared with the old one")
	}
	if d := ts.share("dc3", captured("web", "t2")); d.req == a.req {
		t.Error("another datacenter's watch shares the first's request")
	}
	// withIndex changed nothing of what is shared.
	if a.req.URL.Path != "" || a.req.URL.Query().Has("index") {
		t.Errorf("the shared request was changed: %s", a.req.URL)
	}
}
