package gateway

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/bulwark-gw/bulwark/internal/routing"
)

// maxRouteLines is how many route changes one update logs one line each;
// more than that (a reload, a start with a thousand labelled services) is
// one line with the counts and a sample, so the log stays readable.
const maxRouteLines = 10

// routeSample is how many changes the batched line names.
const routeSample = 5

// routeChange is one route added, removed or changed by an update.
type routeChange struct {
	kind string // added, removed, changed
	r    Route  // the route now (removed: as it was)
	was  Route  // changed: the route before
}

// logRouteChanges logs what an update did to the route table: one INFO line
// per route added, removed or changed (same host, path and methods, another
// service or options), with its service, host and path. Routes are the
// gateway's whole behaviour, and a label appearing in Consul is otherwise
// silent, as Traefik's and Fabio's operators know from their "route added"
// lines. It reads the delta of the build: the routes of the buckets it
// compiled again and of those they replaced, so a route in both, unchanged,
// is not a change.
func (g *Gateway) logRouteChanges(d routing.Delta[*routeMetrics], cause string) {
	if len(d.Added) == 0 && len(d.Removed) == 0 {
		return
	}
	before := make(map[string]Route, len(d.Removed))
	for _, rt := range d.Removed {
		before[routeIdentity(rt.Route)] = rt.Route
	}
	var changes []routeChange
	for _, rt := range d.Added {
		id := routeIdentity(rt.Route)
		was, ok := before[id]
		delete(before, id)
		switch {
		case !ok:
			changes = append(changes, routeChange{kind: "added", r: rt.Route})
		case !sameRoute(was, rt.Route) || was.Name != rt.Name:
			changes = append(changes, routeChange{kind: "changed", r: rt.Route, was: was})
		}
	}
	for _, r := range before {
		changes = append(changes, routeChange{kind: "removed", r: r})
	}
	if len(changes) == 0 {
		return
	}
	slices.SortFunc(changes, func(a, b routeChange) int {
		return cmp.Or(strings.Compare(a.r.Host, b.r.Host), strings.Compare(a.r.Path, b.r.Path),
			strings.Compare(a.kind, b.kind), strings.Compare(a.r.Service, b.r.Service))
	})
	if len(changes) > maxRouteLines {
		counts := map[string]int{}
		var sample []string
		for i, c := range changes {
			counts[c.kind]++
			if i < routeSample {
				sample = append(sample, c.kind+" "+routing.Describe(c.r)+" → "+c.r.Service)
			}
		}
		g.log.Info("routes changed", "cause", cause, "count", len(changes), "added", counts["added"],
			"removed", counts["removed"], "changed", counts["changed"],
			"sample", strings.Join(sample, "; ")+" (and "+strconv.Itoa(len(changes)-len(sample))+" more)")
		return
	}
	for _, c := range changes {
		args := []any{"cause", cause, "service", c.r.Service, "host", c.r.Host, "path", c.r.Path}
		if len(c.r.Methods) > 0 {
			args = append(args, "methods", strings.Join(c.r.Methods, ","))
		}
		if c.kind == "changed" {
			args = append(args, "was", describeChange(c.was, c.r))
		}
		g.log.Info("route "+c.kind, args...)
	}
}

// describeChange says what a changed route was, in the fields that differ.
func describeChange(was, now Route) string {
	var out []string
	if was.Service != now.Service {
		out = append(out, "service "+was.Service)
	}
	if was.StripPrefix != now.StripPrefix {
		out = append(out, "strip_prefix "+strconv.FormatBool(was.StripPrefix))
	}
	if was.WebSocket != now.WebSocket {
		out = append(out, "websocket "+strconv.FormatBool(was.WebSocket))
	}
	if was.Name != now.Name {
		out = append(out, "name "+strconv.Quote(was.Name))
	}
	return strings.Join(out, ", ")
}
