package discovery

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
)

// setConsulEnv sets what users give consul/api through the environment
// beside bulwark's configuration: basic auth, namespace and partition.
func setConsulEnv(t *testing.T) {
	t.Setenv("CONSUL_HTTP_AUTH", "bulwark:s3:cret")
	t.Setenv("CONSUL_NAMESPACE", "team-a")
	t.Setenv("CONSUL_PARTITION", "part-b")
}

// TestServiceListRequestIsConsulAPIs sends the service-list query both ways,
// through listServices and through consul/api's Catalog().Services, with
// every setting a user may give consul/api (address with a path prefix,
// token, HTTP basic auth, namespace, partition, datacenter), and requires the
// two requests to be the same. The hand-built request this replaced forgot
// CONSUL_HTTP_AUTH, so an agent behind basic auth refused the list while it
// answered every health query.
func TestServiceListRequestIsConsulAPIs(t *testing.T) {
	setConsulEnv(t)
	var mu sync.Mutex
	var got []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Clone(r.Context()))
		mu.Unlock()
		w.Header().Set("X-Consul-Index", "42")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"web": ["bulwark.route=/w"], "db": []}`))
	}))
	defer srv.Close()

	c, err := NewConsul(ConsulConfig{Address: srv.URL + "/through/a/proxy", Token: "acl-token", Datacenter: "dc9"})
	if err != nil {
		t.Fatal(err)
	}
	opts := func() *api.QueryOptions {
		return &api.QueryOptions{WaitIndex: 7, WaitTime: 3 * time.Second, Datacenter: "dc2"}
	}
	var cat catalog
	added, removed, meta, err := c.listServices(opts(), 0, &cat)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(added); !slices.Equal(added, []string{"db", "web"}) || removed != nil || meta.LastIndex != 42 {
		t.Errorf("listServices added %v and removed %v at index %d; want db and web added at index 42", added, removed, meta.LastIndex)
	}
	if _, _, err := c.client.Catalog().Services(opts()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	ours, theirs := got[0], got[1]
	if user, pass, ok := ours.BasicAuth(); !ok || user != "bulwark" || pass != "s3:cret" {
		t.Errorf("the service-list query sent basic auth %q %q %v, want CONSUL_HTTP_AUTH's", user, pass, ok)
	}
	if ours.Method != theirs.Method || ours.URL.Path != theirs.URL.Path {
		t.Errorf("request %s %s, consul/api sends %s %s", ours.Method, ours.URL.Path, theirs.Method, theirs.URL.Path)
	}
	oq, tq := ours.URL.Query(), theirs.URL.Query()
	if !reflect.DeepEqual(oq, tq) {
		t.Errorf("query %v, consul/api sends %v", oq, tq)
	}
	if want := (url.Values{"dc": {"dc2"}, "ns": {"team-a"}, "partition": {"part-b"}, "index": {"7"}, "wait": {"3000ms"}}); !reflect.DeepEqual(oq, want) {
		t.Errorf("query %v, want %v", oq, want)
	}
	if !reflect.DeepEqual(ours.Header, theirs.Header) {
		t.Errorf("headers %v, consul/api sends %v", ours.Header, theirs.Header)
	}
	if ours.Header.Get("X-Consul-Token") != "acl-token" {
		t.Errorf("X-Consul-Token = %q", ours.Header.Get("X-Consul-Token"))
	}
}
