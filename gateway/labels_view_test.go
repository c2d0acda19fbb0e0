package gateway

import (
	"reflect"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
)

// The parsing itself is internal/labels' (and tested there); the view adds
// what the gateway needs: the service on every route, the labels it read (to
// skip re-reading them), and one identity and bucket per route.
func TestReadLabelsMakesTheGatewaysView(t *testing.T) {
	t.Parallel()
	l := discovery.Labels{
		Tags: []string{"bulwark.route=/a", "bulwark.host=a.example.com", "urlprefix-/old strip=/old", "bulwark.rout=/x"},
		Meta: map[string]string{"bulwark-timeout": "2s", "bulwark-methods": "GET"},
	}
	v := readLabels("inv", l)
	want := []Route{
		{Service: "inv", Path: "/old", StripPrefix: true},
		{Service: "inv", Host: "a.example.com", Path: "/a", Methods: []string{"GET"}},
	}
	if !reflect.DeepEqual(v.routes, want) {
		t.Errorf("routes:\n got %+v\nwant %+v", v.routes, want)
	}
	if len(v.ids) != len(v.routes) || len(v.keys) != len(v.routes) {
		t.Errorf("%d routes with %d identities and %d buckets", len(v.routes), len(v.ids), len(v.keys))
	}
	if !reflect.DeepEqual(v.src, l) {
		t.Errorf("the view keeps labels %+v, want the labels it read %+v", v.src, l)
	}
	if v.policy.Timeout == nil || v.policy.Timeout.String() != "2s" {
		t.Errorf("policy timeout = %v, want 2s", v.policy.Timeout)
	}
	if len(v.problems) != 1 {
		t.Errorf("problems = %q, want the unknown key's", v.problems)
	}
	if e := readLabels("inv", discovery.Labels{}); len(e.routes) != 0 || len(e.problems) != 0 {
		t.Errorf("a service without labels: %+v", e)
	}
}
