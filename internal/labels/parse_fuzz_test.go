package labels

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds Parse labels a stranger registered: it must not panic,
// must give the same answer twice, and every route it returns must pass the
// checks a route from the config file passes.
func FuzzParse(f *testing.F) {
	for _, seed := range []struct{ tag, key, val string }{
		{"bulwark.route=/inventory", "bulwark-host", "inv.example.com"},
		{"urlprefix-example.com/foo strip=/foo", "bulwark-methods", "GET,HEAD"},
		{"bulwark.rout=/x", "bulwark-timeout", "fast"},
		{"bulwark.websocket", "bulwark-weight", "heavy"},
		{"urlprefix-", "bulwark-route", "/a/../b"},
		{"bulwark.host=*.example.com", "bulwark-openapi", "/openapi.json"},
	} {
		f.Add(seed.tag, seed.key, seed.val)
	}
	f.Fuzz(func(t *testing.T, tag, key, val string) {
		tags, meta := []string{tag, "bulwark.route=/fixed"}, map[string]string{key: val}
		s := Parse(tags, meta)
		if again := Parse(tags, meta); !reflect.DeepEqual(s, again) {
			t.Fatalf("two reads differ:\n%+v\n%+v", s, again)
		}
		for _, r := range s.Routes {
			if err := checkPath(r.Path); err != nil {
				t.Errorf("route path %q: %v", r.Path, err)
			}
			if r.Host != "" && (checkHost(r.Host) != nil || r.Host != strings.ToLower(r.Host)) {
				t.Errorf("route host %q is not a lower-case host name", r.Host)
			}
		}
		_, _ = InstanceWeight(tags, meta)
	})
}
