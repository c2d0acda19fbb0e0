package gateway

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/policies"
)

// sortedRoutes orders routes by host, then path, so tests do not depend on the
// order readLabels happens to produce them in.
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

func tags(ts ...string) discovery.Labels { return discovery.Labels{Tags: ts} }

func TestReadLabels(t *testing.T) {
	t.Parallel()
	const svc = "inv"
	r := func(host, path string) Route { return Route{Service: svc, Host: host, Path: path} }

	tests := []struct {
		name     string
		labels   discovery.Labels
		routes   []Route
		problems []string          // a substring of each problem expected
		policy   map[string]string // the policy fields the labels set
	}{
		// Routes from bulwark tags and meta.
		{name: "a service without labels has no routes and no problems",
			labels: discovery.Labels{}},
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
			labels: discovery.Labels{Meta: map[string]string{"bulwark-route": "/inventory"}},
			routes: []Route{r("", "/inventory")}},
		{name: "meta bulwark-host routes like the tag",
			labels: discovery.Labels{Meta: map[string]string{"bulwark-host": "inv.example.com", "bulwark-route": "/api"}},
			routes: []Route{r("inv.example.com", "/api")}},
		{name: "route tags and a route meta add up",
			labels: discovery.Labels{Tags: []string{"bulwark.route=/a"}, Meta: map[string]string{"bulwark-route": "/b"}},
			routes: []Route{r("", "/a"), r("", "/b")}},
		{name: "labels of other tools are neither routes nor problems",
			labels: discovery.Labels{Tags: []string{"traefik.enable=true", "v1", "primary", "bulwarkish"},
				Meta: map[string]string{"version": "2", "team": "stock"}}},

		// Route options.
		{name: "methods restrict every route of the service, upper-cased and deduplicated",
			labels: tags("bulwark.route=/a", "bulwark.route=/b", "bulwark.methods=get, HEAD,GET"),
			routes: []Route{
				{Service: svc, Path: "/a", Methods: []string{"GET", "HEAD"}},
				{Service: svc, Path: "/b", Methods: []string{"GET", "HEAD"}},
			}},
		{name: "meta bulwark-methods restricts the routes like the tag",
			labels: discovery.Labels{Meta: map[string]string{"bulwark-route": "/a", "bulwark-methods": "POST"}},
			routes: []Route{{Service: svc, Path: "/a", Methods: []string{"POST"}}}},
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
			routes: []Route{{Service: svc, Path: "/a", StripPrefix: true, WebSocket: true}}},
		{name: "strip-prefix and websocket as meta set the flags too",
			labels: discovery.Labels{Meta: map[string]string{"bulwark-route": "/a", "bulwark-strip-prefix": "true", "bulwark-websocket": "1"}},
			routes: []Route{{Service: svc, Path: "/a", StripPrefix: true, WebSocket: true}}},
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
			labels:   discovery.Labels{Meta: map[string]string{"bulwark-route": "/a", "bulwark-stripprefix": "true"}},
			routes:   []Route{r("", "/a")},
			problems: []string{`unknown label "stripprefix"`}},
		{name: "a bulwark tag without a value is reported",
			labels:   tags("bulwark.route=/a", "bulwark.websocket"),
			routes:   []Route{r("", "/a")},
			problems: []string{`tag "bulwark.websocket": want bulwark.key=value`}},
		{name: "the keys other packages read are not reported",
			labels: discovery.Labels{
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
			labels:   discovery.Labels{Tags: []string{"bulwark.route=/good"}, Meta: map[string]string{"bulwark-route": "/a/./b"}},
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
			routes: []Route{{Service: svc, Path: "/foo", StripPrefix: true}}},
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
			labels: discovery.Labels{Meta: map[string]string{"bulwark-route": "/a", "bulwark-timeout": "2s"}},
			routes: []Route{r("", "/a")},
			policy: map[string]string{"timeout": "2s"}},
		{name: "every policy key is read from meta",
			labels: discovery.Labels{Meta: map[string]string{
				"bulwark-timeout": "5s", "bulwark-try-timeout": "1s", "bulwark-connect-timeout": "250ms",
				"bulwark-balancer": "consistent_hash", "bulwark-hash-on": "header:X-User",
			}},
			policy: map[string]string{"timeout": "5s", "try_timeout": "1s", "connect_timeout": "250ms",
				"balancer": "consistent_hash", "hash_on": "header:X-User"}},
		{name: "a bad timeout is reported and ignored while the balancer still applies",
			labels:   discovery.Labels{Meta: map[string]string{"bulwark-route": "/a", "bulwark-timeout": "fast", "bulwark-balancer": "least_request"}},
			routes:   []Route{r("", "/a")},
			problems: []string{`bulwark-timeout="fast": not a duration`},
			policy:   map[string]string{"balancer": "least_request"}},
		{name: "a timeout that is not positive is reported and ignored",
			labels:   discovery.Labels{Meta: map[string]string{"bulwark-timeout": "-1s"}},
			problems: []string{`bulwark-timeout="-1s": must be positive`}},
		{name: "an unknown balancer is reported and ignored",
			labels:   discovery.Labels{Meta: map[string]string{"bulwark-balancer": "random", "bulwark-timeout": "1s"}},
			problems: []string{`bulwark-balancer="random"`},
			policy:   map[string]string{"timeout": "1s"}},
		{name: "policy keys may be tags",
			labels: tags("bulwark.route=/a", "bulwark.timeout=3s", "bulwark.balancer=least_request"),
			routes: []Route{r("", "/a")},
			policy: map[string]string{"timeout": "3s", "balancer": "least_request"}},
		{name: "a policy meta wins over the same key as a tag",
			labels: discovery.Labels{Tags: []string{"bulwark.timeout=3s", "bulwark.balancer=least_request"},
				Meta: map[string]string{"bulwark-timeout": "2s"}},
			policy: map[string]string{"timeout": "2s", "balancer": "least_request"}},
		{name: "a good policy meta replaces a bad policy tag without a problem",
			labels: discovery.Labels{Tags: []string{"bulwark.timeout=fast"}, Meta: map[string]string{"bulwark-timeout": "2s"}},
			policy: map[string]string{"timeout": "2s"}},
		{name: "a bad policy tag is reported",
			labels:   tags("bulwark.timeout=fast"),
			problems: []string{`timeout="fast"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := readLabels(svc, tt.labels)
			if got, want := sortedRoutes(v.routes), sortedRoutes(tt.routes); !reflect.DeepEqual(got, want) {
				t.Errorf("routes:\n got %+v\nwant %+v", got, want)
			}
			checkProblems(t, v.problems, tt.problems)
			want := tt.policy
			if want == nil {
				want = map[string]string{}
			}
			if got := overridesMap(v.policy); !reflect.DeepEqual(got, want) {
				t.Errorf("policy = %v, want %v", got, want)
			}
			if !reflect.DeepEqual(v.src, tt.labels) {
				t.Errorf("the view keeps labels %+v, want the labels it read %+v", v.src, tt.labels)
			}
		})
	}
}

// readLabels must not depend on map order: the gateway compares problem lists
// to decide whether to log, and route lists to decide whether to rebuild.
func TestReadLabelsIsDeterministic(t *testing.T) {
	t.Parallel()
	l := discovery.Labels{
		Tags: []string{"bulwark.route=/b", "bulwark.route=/a", "bulwark.host=y.example.com", "bulwark.host=x.example.com",
			"bulwark.zzz=1", "bulwark.aaa=1", "bulwark.websocket=maybe", "urlprefix-/f strip=/g"},
		Meta: map[string]string{"bulwark-timeout": "fast", "bulwark-balancer": "nope", "bulwark-qqq": "1", "bulwark-route": "/c"},
	}
	first := readLabels("svc", l)
	for range 50 {
		v := readLabels("svc", l)
		if !slices.Equal(v.problems, first.problems) {
			t.Fatalf("problems changed between reads:\n%q\n%q", first.problems, v.problems)
		}
		if !slices.EqualFunc(v.routes, first.routes, sameRoute) {
			t.Fatalf("routes changed between reads:\n%+v\n%+v", first.routes, v.routes)
		}
	}
}

func TestMergeRoutes(t *testing.T) {
	t.Parallel()
	view := func(service string, paths ...string) *labelView {
		v := &labelView{}
		for _, p := range paths {
			v.routes = append(v.routes, Route{Service: service, Path: p})
		}
		return v
	}
	describe := func(rs []Route) []string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s%s %s→%s", r.Host, r.Path, strings.Join(r.Methods, ","), r.Service))
		}
		return out
	}

	tests := []struct {
		name      string
		file      []Route
		views     map[string]*labelView
		routes    []string            // describe() of the merged routes, in order
		conflicts map[string][]string // substrings of each service's conflicts
	}{
		{name: "the file's routes come first and label routes follow by service name",
			file:   []Route{{Path: "/f", Service: "file"}},
			views:  map[string]*labelView{"b": view("b", "/b"), "a": view("a", "/a")},
			routes: []string{"/f →file", "/a →a", "/b →b"}},
		{name: "a label route identical to a file route is skipped and the file keeps it",
			file:      []Route{{Path: "/x", Service: "file"}},
			views:     map[string]*labelView{"inv": view("inv", "/x", "/y")},
			routes:    []string{"/x →file", "/y →inv"},
			conflicts: map[string][]string{"inv": {"route /x is already taken by the config file; skipped"}}},
		{name: "a trailing slash does not make a label route different from a file route",
			file:      []Route{{Path: "/x", Service: "file"}},
			views:     map[string]*labelView{"inv": view("inv", "/x/")},
			routes:    []string{"/x →file"},
			conflicts: map[string][]string{"inv": {"the config file"}}},
		{name: "a label host differing only in case from a file host is the same route",
			file:      []Route{{Host: "API.example.com", Path: "/x", Service: "file"}},
			views:     map[string]*labelView{"inv": {routes: []Route{{Host: "api.example.com", Path: "/x", Service: "inv"}}}},
			routes:    []string{"API.example.com/x →file"},
			conflicts: map[string][]string{"inv": {"the config file"}}},
		{name: "two services claiming the same route: the lexically first keeps it",
			views:     map[string]*labelView{"zeta": view("zeta", "/x"), "alpha": view("alpha", "/x")},
			routes:    []string{"/x →alpha"},
			conflicts: map[string][]string{"zeta": {"route /x is already taken by service alpha; skipped"}}},
		{name: "the loser of a claimed route keeps its other routes",
			views:     map[string]*labelView{"b": view("b", "/x", "/only-b"), "a": view("a", "/x")},
			routes:    []string{"/x →a", "/only-b →b"},
			conflicts: map[string][]string{"b": {"service a"}}},
		{name: "routes differing in methods do not collide",
			file: []Route{{Path: "/x", Methods: []string{"GET"}, Service: "file"}},
			views: map[string]*labelView{"inv": {routes: []Route{
				{Path: "/x", Methods: []string{"POST"}, Service: "inv"},
				{Path: "/x", Service: "inv"},
			}}},
			routes: []string{"/x GET→file", "/x POST→inv", "/x →inv"}},
		{name: "the same methods in another order collide",
			file:      []Route{{Path: "/x", Methods: []string{"GET", "HEAD"}, Service: "file"}},
			views:     map[string]*labelView{"inv": {routes: []Route{{Path: "/x", Methods: []string{"HEAD", "GET"}, Service: "inv"}}}},
			routes:    []string{"/x GET,HEAD→file"},
			conflicts: map[string][]string{"inv": {"route /x (HEAD,GET) is already taken by the config file"}}},
		{name: "routes differing in host do not collide",
			views: map[string]*labelView{
				"a": {routes: []Route{{Host: "a.example.com", Path: "/x", Service: "a"}}},
				"b": {routes: []Route{{Host: "b.example.com", Path: "/x", Service: "b"}}},
			},
			routes: []string{"a.example.com/x →a", "b.example.com/x →b"}},
		{name: "a file route with header conditions does not shadow a label route without",
			file:   []Route{{Path: "/x", Headers: map[string]string{"X-V": "2"}, Service: "file"}},
			views:  map[string]*labelView{"inv": view("inv", "/x")},
			routes: []string{"/x →file", "/x →inv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			routes, conflicts := mergeRoutes(tt.file, tt.views, slices.Sorted(maps.Keys(tt.views)))
			if got := describe(routes); !slices.Equal(got, tt.routes) {
				t.Errorf("routes = %q, want %q", got, tt.routes)
			}
			for name := range tt.views {
				checkProblems(t, messages(conflicts[name]), tt.conflicts[name])
			}
			for name := range conflicts {
				if tt.views[name] == nil {
					t.Errorf("conflict for %q, which has no labels: %q", name, messages(conflicts[name]))
				}
			}
		})
	}
}

// A service that names one route twice (a Fabio tag kept next to the bulwark
// tag it is migrating to, or "/x" and "/x/") routes it once and is not in
// conflict with itself.
func TestMergeRoutesSameServiceTwice(t *testing.T) {
	t.Parallel()
	v := readLabels("inv", tags("urlprefix-/inventory", "bulwark.route=/inventory"))
	if len(v.problems) != 0 {
		t.Fatalf("readLabels problems = %q", v.problems)
	}
	routes, conflicts := mergeRoutes(nil, map[string]*labelView{"inv": v}, []string{"inv"})
	if len(routes) != 1 || routes[0].Path != "/inventory" || routes[0].Service != "inv" {
		t.Errorf("routes = %+v, want /inventory to inv once", routes)
	}
	if len(conflicts["inv"]) != 0 {
		t.Errorf("inv is reported in conflict with itself: %q", messages(conflicts["inv"]))
	}
}

// messages are the texts of conflicts.
func messages(cs []conflict) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.msg)
	}
	return out
}
