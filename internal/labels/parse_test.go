package labels

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/policies"
)

// sortedRoutes orders routes by host, then path, so tests do not depend on the
// order Parse happens to produce them in.
func sortedRoutes(rs []Route) []Route {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b Route) int {
		return cmp.Or(strings.Compare(a.Host, b.Host), strings.Compare(a.Path, b.Path))
	})
	return out
}

// overridesMap shows the fields a policy layer sets, as strings, for comparison.
func overridesMap(o policies.Overrides) map[string]string {
	m := map[string]string{}
	if o.Timeout != nil {
		m["timeout"] = o.Timeout.String()
	}
	if o.TryTimeout != nil {
		m["try_timeout"] = o.TryTimeout.String()
	}
	if o.ConnectTimeout != nil {
		m["connect_timeout"] = o.ConnectTimeout.String()
	}
	if o.Balancer != nil {
		m["balancer"] = *o.Balancer
	}
	if o.HashOn != nil {
		m["hash_on"] = *o.HashOn
	}
	return m
}

// checkProblems fails unless there is exactly one problem per wanted substring,
// each containing it (in any order).
func checkProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("problems = %q, want %d containing %q", got, len(want), want)
		return
	}
	left := slices.Clone(got)
	for _, w := range want {
		i := slices.IndexFunc(left, func(p string) bool { return strings.Contains(p, w) })
		if i < 0 {
			t.Errorf("no problem mentions %q; problems = %q", w, got)
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
}

// registration is one service's labels, as Consul holds them.
type registration struct {
	Tags []string
	Meta map[string]string
}

func tags(ts ...string) registration { return registration{Tags: ts} }

func TestParse(t *testing.T) {
	t.Parallel()
	r := func(host, path string) Route { return Route{Host: host, Path: path} }

	tests := []struct {
		name     string
		labels   registration
		routes   []Route
		problems []string          // a substring of each problem expected
		policy   map[string]string // the policy fields the labels set
	}{
		// Routes from bulwark tags and meta.
		{name: "a service without labels has no routes and no problems",
			labels: registration{}},
		{name: "a bulwark.route tag routes that path prefix to the service",
			labels: tags("bulwark.route=/inventory"),
			routes: []Route{r("", "/inventory")}},
		{name: "several bulwark.route tags make several routes",
			labels: tags("bulwark.route=/inventory", "bulwark.route=/stock", "bulwark.route=/api/v1/items"),
			routes: []Route{r("", "/api/v1/items"), r("", "/inventory"), r("", "/stock")}},
		{name: "the same route tag twice makes one route",
			labels: tags("bulwark.route=/inventory", "bulwark.route=/inventory"),
			routes: []Route{r("", "/inventory")}},
		{name: "bulwark.host with a route routes that path on that host only",
			labels: tags("bulwark.host=inv.example.com", "bulwark.route=/inventory"),
			routes: []Route{r("inv.example.com", "/inventory")}},
		{name: "bulwark.host without a route routes every path of the host",
			labels: tags("bulwark.host=inv.example.com"),
			routes: []Route{r("inv.example.com", "/")}},
		{name: "a host label is lower-cased like the host matcher expects",
			labels: tags("bulwark.host=Inv.Example.COM"),
			routes: []Route{r("inv.example.com", "/")}},
		{name: "a wildcard host of one label is accepted",
			labels: tags("bulwark.host=*.example.com", "bulwark.route=/x"),
			routes: []Route{r("*.example.com", "/x")}},
		{name: "several hosts and routes make every host and route pair",
			labels: tags("bulwark.host=a.example.com", "bulwark.host=b.example.com", "bulwark.route=/x", "bulwark.route=/y"),
			routes: []Route{r("a.example.com", "/x"), r("a.example.com", "/y"), r("b.example.com", "/x"), r("b.example.com", "/y")}},
		{name: "meta bulwark-route routes like the tag",
			labels: registration{Meta: map[string]string{"bulwark-route": "/inventory"}},
			routes: []Route{r("", "/inventory")}},
		{name: "meta bulwark-host routes like the tag",
			labels: registration{Meta: map[string]string{"bulwark-host": "inv.example.com", "bulwark-route": "/api"}},
			routes: []Route{r("inv.example.com", "/api")}},
		{name: "route tags and a route meta add up",
			labels: registration{Tags: []string{"bulwark.route=/a"}, Meta: map[string]string{"bulwark-route": "/b"}},
			routes: []Route{r("", "/a"), r("", "/b")}},
		{name: "labels of other tools are neither routes nor problems",
			labels: registration{Tags: []string{"traefik.enable=true", "v1", "primary", "bulwarkish"},
				Meta: map[string]string{"version": "2", "team": "stock"}}},

		// Route options.
		{name: "methods restrict every route of the service, upper-cased and deduplicated",
			labels: tags("bulwark.route=/a", "bulwark.route=/b", "bulwark.methods=get, HEAD,GET"),
			routes: []Route{
				{Path: "/a", Methods: []string{"GET", "HEAD"}},
				{Path: "/b", Methods: []string{"GET", "HEAD"}},
			}},
		{name: "meta bulwark-methods restricts the routes like the tag",
			labels: registration{Meta: map[string]string{"bulwark-route": "/a", "bulwark-methods": "POST"}},
			routes: []Route{{Path: "/a", Methods: []string{"POST"}}}},
		{name: "an invalid method is reported and the routes take every method",
			labels:   tags("bulwark.route=/a", "bulwark.methods=GET,P0ST"),
			routes:   []Route{r("", "/a")},
			problems: []string{`methods "GET,P0ST": "P0ST" is not a method; the routes take every method`}},
		{name: "an empty method in the list is reported",
			labels:   tags("bulwark.route=/a", "bulwark.methods=GET,,POST"),
			routes:   []Route{r("", "/a")},
			problems: []string{`methods "GET,,POST"`}},
		{name: "strip-prefix and websocket set the routes' flags",
			labels: tags("bulwark.route=/a", "bulwark.strip-prefix=true", "bulwark.websocket=true"),
			routes: []Route{{Path: "/a", StripPrefix: true, WebSocket: true}}},
		{name: "strip-prefix and websocket as meta set the flags too",
			labels: registration{Meta: map[string]string{"bulwark-route": "/a", "bulwark-strip-prefix": "true", "bulwark-websocket": "1"}},
			routes: []Route{{Path: "/a", StripPrefix: true, WebSocket: true}}},
		{name: "false booleans leave the flags off",
			labels: tags("bulwark.route=/a", "bulwark.strip-prefix=false", "bulwark.websocket=false"),
			routes: []Route{r("", "/a")}},
		{name: "a bad boolean is reported and read as false",
			labels:   tags("bulwark.route=/a", "bulwark.strip-prefix=yes", "bulwark.websocket=maybe"),
			routes:   []Route{r("", "/a")},
			problems: []string{`strip-prefix "yes": want true or false`, `websocket "maybe": want true or false`}},

		// Keys.
		{name: "a misspelt key is reported as unknown and does not route",
			labels:   tags("bulwark.rout=/x"),
			problems: []string{`unknown label "rout"`}},
		{name: "a misspelt meta key is reported as unknown too",
			labels:   registration{Meta: map[string]string{"bulwark-route": "/a", "bulwark-stripprefix": "true"}},
			routes:   []Route{r("", "/a")},
			problems: []string{`unknown label "stripprefix"`}},
		{name: "a bulwark tag without a value is reported",
			labels:   tags("bulwark.route=/a", "bulwark.websocket"),
			routes:   []Route{r("", "/a")},
			problems: []string{`tag "bulwark.websocket": want bulwark.key=value`}},
		{name: "the weight and document keys are known, so not reported",
			labels: registration{
				Tags: []string{"bulwark.route=/a", "bulwark.weight=3", "bulwark.openapi=/openapi.json", "bulwark.hal=/"},
				Meta: map[string]string{"bulwark-weight": "2", "bulwark-openapi": "/spec.json", "bulwark-hal": "/api"},
			},
			routes: []Route{r("", "/a")}},

		// Bad paths and hosts: the value is skipped, the rest still routes.
		{name: "a path without a leading slash is reported and skipped",
			labels:   tags("bulwark.route=pets", "bulwark.route=/good"),
			routes:   []Route{r("", "/good")},
			problems: []string{`route "pets": must start with /; skipped`}},
		{name: "a path with a dot-dot segment is reported and skipped",
			labels:   tags("bulwark.route=/a/../b", "bulwark.route=/good"),
			routes:   []Route{r("", "/good")},
			problems: []string{`route "/a/../b": must be clean`}},
		{name: "a path with a space is reported and skipped",
			labels:   tags("bulwark.route=/a b", "bulwark.route=/good"),
			routes:   []Route{r("", "/good")},
			problems: []string{`route "/a b": must not contain`}},
		{name: "a path with a query is reported and skipped",
			labels:   tags("bulwark.route=/a?x", "bulwark.route=/good"),
			routes:   []Route{r("", "/good")},
			problems: []string{`route "/a?x": must not contain`}},
		{name: "a path with a double slash is reported and skipped",
			labels:   tags("bulwark.route=/a//b", "bulwark.route=/good"),
			routes:   []Route{r("", "/good")},
			problems: []string{`route "/a//b": must be clean`}},
		{name: "a bad meta route is reported and the good route tag still routes",
			labels:   registration{Tags: []string{"bulwark.route=/good"}, Meta: map[string]string{"bulwark-route": "/a/./b"}},
			routes:   []Route{r("", "/good")},
			problems: []string{`route "/a/./b": must be clean`}},
		{name: "a bad host is reported and its route is not widened to every host",
			labels:   tags("bulwark.host=bad_host.example.com", "bulwark.route=/x"),
			problems: []string{`host "bad_host.example.com": not a host name; skipped`}},
		{name: "a bad host alone does not become a catch-all route",
			labels:   tags("bulwark.host=-bad.example.com"),
			problems: []string{`host "-bad.example.com"`}},
		{name: "a host with a port is reported and skipped",
			labels:   tags("bulwark.host=inv.example.com:8080"),
			problems: []string{`host "inv.example.com:8080"`}},
		{name: "a bad host is skipped while the good host of the same service routes",
			labels:   tags("bulwark.host=bad host", "bulwark.host=inv.example.com", "bulwark.route=/x"),
			routes:   []Route{r("inv.example.com", "/x")},
			problems: []string{`host "bad host"`}},

		// Fabio's tags.
		{name: "a Fabio path tag routes the path",
			labels: tags("urlprefix-/foo"),
			routes: []Route{r("", "/foo")}},
		{name: "a Fabio host and path tag routes the path on the host",
			labels: tags("urlprefix-example.com/foo"),
			routes: []Route{r("example.com", "/foo")}},
		{name: "a Fabio host-only tag routes every path of the host",
			labels: tags("urlprefix-example.com"),
			routes: []Route{r("example.com", "/")}},
		{name: "a Fabio host is lower-cased",
			labels: tags("urlprefix-Example.COM/foo"),
			routes: []Route{r("example.com", "/foo")}},
		{name: "Fabio's strip of the whole route path strips the prefix",
			labels: tags("urlprefix-/foo strip=/foo"),
			routes: []Route{{Path: "/foo", StripPrefix: true}}},
		{name: "Fabio's strip of another path is reported and the route skipped",
			labels:   tags("urlprefix-/foo strip=/bar", "urlprefix-/good"),
			routes:   []Route{r("", "/good")},
			problems: []string{`tag "urlprefix-/foo strip=/bar": strip=/bar: bulwark strips exactly the route's path (/foo); route skipped`}},
		{name: "a Fabio option bulwark does not support is reported and the route skipped",
			labels:   tags("urlprefix-/foo proto=https", "urlprefix-/good"),
			routes:   []Route{r("", "/good")},
			problems: []string{`tag "urlprefix-/foo proto=https": option "proto" is not supported by bulwark; route skipped`}},
		{name: "a Fabio tag with a bad path is reported and skipped",
			labels:   tags("urlprefix-/a/../b"),
			problems: []string{`tag "urlprefix-/a/../b": must be clean`}},
		{name: "a Fabio tag with a bad host is reported and skipped",
			labels:   tags("urlprefix-bad_host/foo"),
			problems: []string{`tag "urlprefix-bad_host/foo": host: not a host name`}},
		{name: "an empty Fabio tag is reported",
			labels:   tags("urlprefix-"),
			problems: []string{`tag "urlprefix-": empty route`}},
		{name: "Fabio and bulwark tags of one service add up",
			labels: tags("urlprefix-/old", "bulwark.route=/new"),
			routes: []Route{r("", "/new"), r("", "/old")}},

		// Policy keys.
		{name: "meta bulwark-timeout sets the policy timeout",
			labels: registration{Meta: map[string]string{"bulwark-route": "/a", "bulwark-timeout": "2s"}},
			routes: []Route{r("", "/a")},
			policy: map[string]string{"timeout": "2s"}},
		{name: "every policy key is read from meta",
			labels: registration{Meta: map[string]string{
				"bulwark-timeout": "5s", "bulwark-try-timeout": "1s", "bulwark-connect-timeout": "250ms",
				"bulwark-balancer": "consistent_hash", "bulwark-hash-on": "header:X-User",
			}},
			policy: map[string]string{"timeout": "5s", "try_timeout": "1s", "connect_timeout": "250ms",
				"balancer": "consistent_hash", "hash_on": "header:X-User"}},
		{name: "a bad timeout is reported and ignored while the balancer still applies",
			labels:   registration{Meta: map[string]string{"bulwark-route": "/a", "bulwark-timeout": "fast", "bulwark-balancer": "least_request"}},
			routes:   []Route{r("", "/a")},
			problems: []string{`bulwark-timeout="fast": not a duration`},
			policy:   map[string]string{"balancer": "least_request"}},
		{name: "a timeout that is not positive is reported and ignored",
			labels:   registration{Meta: map[string]string{"bulwark-timeout": "-1s"}},
			problems: []string{`bulwark-timeout="-1s": must be positive`}},
		{name: "an unknown balancer is reported and ignored",
			labels:   registration{Meta: map[string]string{"bulwark-balancer": "random", "bulwark-timeout": "1s"}},
			problems: []string{`bulwark-balancer="random"`},
			policy:   map[string]string{"timeout": "1s"}},
		{name: "policy keys may be tags",
			labels: tags("bulwark.route=/a", "bulwark.timeout=3s", "bulwark.balancer=least_request"),
			routes: []Route{r("", "/a")},
			policy: map[string]string{"timeout": "3s", "balancer": "least_request"}},
		{name: "a policy meta wins over the same key as a tag",
			labels: registration{Tags: []string{"bulwark.timeout=3s", "bulwark.balancer=least_request"},
				Meta: map[string]string{"bulwark-timeout": "2s"}},
			policy: map[string]string{"timeout": "2s", "balancer": "least_request"}},
		{name: "a good policy meta replaces a bad policy tag without a problem",
			labels: registration{Tags: []string{"bulwark.timeout=fast"}, Meta: map[string]string{"bulwark-timeout": "2s"}},
			policy: map[string]string{"timeout": "2s"}},
		{name: "a bad policy tag is reported",
			labels:   tags("bulwark.timeout=fast"),
			problems: []string{`timeout="fast"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Parse(tt.labels.Tags, tt.labels.Meta)
			if got, want := sortedRoutes(s.Routes), sortedRoutes(tt.routes); !reflect.DeepEqual(got, want) {
				t.Errorf("routes:\n got %+v\nwant %+v", got, want)
			}
			checkProblems(t, s.Problems, tt.problems)
			want := tt.policy
			if want == nil {
				want = map[string]string{}
			}
			if got := overridesMap(s.Policy); !reflect.DeepEqual(got, want) {
				t.Errorf("policy = %v, want %v", got, want)
			}
		})
	}
}

// Parse must not depend on map order: the gateway compares problem lists to
// decide whether to log, and route lists to decide whether to rebuild.
func TestParseIsDeterministic(t *testing.T) {
	t.Parallel()
	l := registration{
		Tags: []string{"bulwark.route=/b", "bulwark.route=/a", "bulwark.host=y.example.com", "bulwark.host=x.example.com",
			"bulwark.zzz=1", "bulwark.aaa=1", "bulwark.websocket=maybe", "urlprefix-/f strip=/g"},
		Meta: map[string]string{"bulwark-timeout": "fast", "bulwark-balancer": "nope", "bulwark-qqq": "1", "bulwark-route": "/c"},
	}
	first := Parse(l.Tags, l.Meta)
	for range 50 {
		s := Parse(l.Tags, l.Meta)
		if !slices.Equal(s.Problems, first.Problems) {
			t.Fatalf("problems changed between reads:\n%q\n%q", first.Problems, s.Problems)
		}
		if !reflect.DeepEqual(s.Routes, first.Routes) {
			t.Fatalf("routes changed between reads:\n%+v\n%+v", first.Routes, s.Routes)
		}
	}
}
