package discovery_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/consultest"
)

// TestConsulSourceSendsBasicAuthFromTheEnvironment puts a loopback reverse
// proxy that demands HTTP basic auth (401 otherwise) in front of a real agent
// and configures the source the way users do, with CONSUL_HTTP_AUTH: the
// service list and the health queries both get through, and no query is
// ever refused. Before, the service list was built by hand without the
// credentials, refused, and no snapshot was ever published.
func TestConsulSourceSendsBasicAuthFromTheEnvironment(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	target, _ := url.Parse("http://" + agent.Addr)
	var refused, passed atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "bulwark" || pass != "s3cret" {
			refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="consul"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		passed.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close) // after the watch stops (cleanups run last first)
	t.Setenv("CONSUL_HTTP_AUTH", "bulwark:s3cret")

	agent.Register(t, consultest.Service{ID: "inv-1", Name: "inv", Address: "127.0.0.1", Port: 9501,
		Tags: []string{"bulwark.route=/inventory"}})
	w := watch(t, discovery.ConsulConfig{Address: srv.Listener.Addr().String()})
	w.until(t, "the service read through the authenticating proxy", has("inv", "127.0.0.1:9501"))
	// A change is answered to a blocking query, which a watch sends with the
	// request consul/api made for its first (repoll): it carries the
	// credentials too.
	agent.Register(t, consultest.Service{ID: "inv-2", Name: "inv", Address: "127.0.0.1", Port: 9502,
		Tags: []string{"bulwark.route=/inventory"}})
	w.until(t, "the second instance, answered to a blocking query", has("inv", "127.0.0.1:9501 127.0.0.1:9502"))
	if n := refused.Load(); n != 0 {
		t.Errorf("the proxy refused %d queries for want of credentials (and let %d through)", n, passed.Load())
	}
	if st := w.src.Status(); st.Errors != 0 || st.Stale {
		t.Errorf("status %+v, want no errors", st)
	}
}
