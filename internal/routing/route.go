// Package routing is bulwark's route table: which route a request takes, and
// how the routes of the config file and of the services' own labels become one
// table without two owners for one route.
//
// It is pure in the way fabio's route package is: no I/O, no clock, no logs,
// no metrics. A Table is immutable once Build returns it, so a request reads
// the table it started with while the next one is built, and nothing a reader
// holds is ever written again. Build makes the next table from the previous
// one and what may have changed, and returns the difference (Delta) for the
// caller to act on (bind metrics, log route changes) instead of keeping it.
//
// Where things are:
//
//	route.go   Route, the config value, and what makes two routes the same
//	entry.go   Entry, a compiled route, and the order of specificity
//	bucket.go  buckets by host and first path segment, each a gorilla/mux router
//	match.go   matching a request: at most six buckets, most specific first
//	build.go   Build: the next table from the previous one and what changed
//	merge.go   ownership: the file first, then services by name; Conflict
//	table.go   Table and its read-only accessors
package routing

import (
	"github.com/bulwark-gw/bulwark/policies"

	"maps"
	"slices"
	"strings"
)

// Route maps matching requests to a service. Empty fields match anything.
type Route struct {
	// Name identifies the route in metrics and logs; defaults to "HOST/PATH METHODS".
	Name string
	// Host is an exact host ("api.example.com") or a wildcard of one label
	// ("*.example.com"), matched case-insensitively without the port.
	Host string
	// Path is a path prefix matched on segment boundaries: "/pets" matches "/pets"
	// and "/pets/1", never "/petshop". Empty or "/" matches every path.
	Path string
	// Methods restricts the route (upper case). A request whose path matches a route
	// but whose method matches none gets 405.
	Methods []string
	// Headers must all be present with these exact values.
	Headers map[string]string
	// StripPrefix removes Path from the request path before it goes upstream, and
	// sends it in X-Forwarded-Prefix so the upstream can build its own links.
	StripPrefix bool
	// Service receives the matched requests.
	Service string
	// WebSocket allows `Upgrade: websocket` on this route; other routes refuse upgrades.
	WebSocket bool
	// Policy holds the policy keys the route sets for its own requests, over
	// its service's (keys declared Route, such as the cache's). The table
	// only carries it; the gateway applies it.
	Policy policies.Overrides
}

// PathPrefix is a route path as the table matches it: without its trailing
// slash, so "/pets/" and "/pets" are one prefix (matching "/pets" and
// "/pets/1") and "/" is the catch-all "". Duplicate routes are found with
// it, so two paths the table cannot tell apart are refused.
func PathPrefix(path string) string { return strings.TrimSuffix(path, "/") }

// Identity is what makes two routes the same match: host (in any case), path
// prefix, methods (in any order) and header conditions. Two routes with one
// identity cannot both be in the table; which one is, is ownership (merge.go).
func Identity(r Route) string {
	ms := slices.Sorted(slices.Values(r.Methods))
	hs := make([]string, 0, len(r.Headers))
	for _, k := range slices.Sorted(maps.Keys(r.Headers)) {
		hs = append(hs, strings.ToLower(k)+"="+r.Headers[k])
	}
	return strings.ToLower(r.Host) + "|" + PathPrefix(r.Path) + "|" + strings.Join(ms, ",") + "|" + strings.Join(hs, ",")
}

// Identical is true when two config values make the same compiled route.
func Identical(a, b Route) bool {
	return a.Name == b.Name && a.Host == b.Host && a.Path == b.Path && a.Service == b.Service &&
		a.StripPrefix == b.StripPrefix && a.WebSocket == b.WebSocket &&
		slices.Equal(a.Methods, b.Methods) && maps.Equal(a.Headers, b.Headers) && a.Policy.Equal(&b.Policy)
}

// Describe is a route as a person reads it in a log line or a conflict:
// "api.example.com/pets (GET,HEAD)".
func Describe(r Route) string {
	s := r.Host + r.Path
	if len(r.Methods) > 0 {
		s += " (" + strings.Join(r.Methods, ",") + ")"
	}
	return s
}

func defaultName(r Route) string {
	name := r.Host + r.Path
	if name == "" {
		name = "/"
	}
	if len(r.Methods) > 0 {
		name += " " + strings.Join(r.Methods, ",")
	}
	return name
}
