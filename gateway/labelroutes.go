package gateway

import (
	"maps"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/prometheus/client_golang/prometheus"
)

// applyLabels brings next's label views, route table and problems up to date
// with next.snap. A service's labels are re-read only when they changed, and
// the table changes only when some service's routes did, so an instance
// coming or going costs no routing work at all. changed, when not nil, names
// the only services whose labels may have changed (the snapshot's Changed):
// then only the buckets their routes fall in are merged again
// (applyRouteChanges). cfgChanged, or a snapshot without Changed, merges
// every route (mergeRoutes, rebuild), still reusing unchanged buckets.
func (g *Gateway) applyLabels(next, old *state, changed []string, cfgChanged bool) {
	cause := "discovery"
	if cfgChanged {
		cause = "config"
	}
	var labels map[string]discovery.Labels
	if next.snap != nil {
		labels = next.snap.Labels
	}
	var views map[string]*labelView
	names := changed
	if changed == nil {
		views = make(map[string]*labelView, len(labels))
		names = slices.Collect(maps.Keys(labels))
		for n := range old.labels {
			if _, ok := labels[n]; !ok {
				names = append(names, n)
			}
		}
	} else {
		views = maps.Clone(old.labels)
	}
	var moved []string // services whose label routes changed
	for _, name := range names {
		l, ok := labels[name]
		prev := old.labels[name]
		switch {
		case !ok:
			delete(views, name)
			if prev != nil && len(prev.routes) > 0 {
				moved = append(moved, name)
			}
		case prev != nil && sameLabels(prev.src, l):
			views[name] = prev
		default:
			v := readLabels(name, l)
			views[name] = v
			if prev == nil && len(v.routes) > 0 || prev != nil && !slices.EqualFunc(prev.routes, v.routes, sameRoute) {
				moved = append(moved, name)
			}
		}
	}
	next.labels = views
	next.labelNames = sortedNames(old.labelNames, views, names, changed == nil)
	var added, removed []*route
	switch {
	case cfgChanged || old.table == nil || old.table.index == nil || changed == nil && len(moved) > 0:
		routes, conflicts := mergeRoutes(next.cfg.Routes, views, next.labelNames)
		next.table, added, removed = rebuild(old.table, routes)
		next.table.index = newMergeIndex(next.cfg.Routes, views)
		next.conflicts = conflicts
	case len(moved) > 0:
		next.table, next.conflicts, added, removed = applyRouteChanges(old, views, moved)
	default:
		return
	}
	g.metrics.bindRoutes(added, removed)
	g.logRouteChanges(added, removed, cause)
}

// sortedNames keeps the sorted keys of views: all of them sorted anew for a
// full update, else prev with the changed names inserted or removed, so one
// registration does not sort a thousand names.
func sortedNames(prev []string, views map[string]*labelView, changed []string, full bool) []string {
	if full {
		return slices.Sorted(maps.Keys(views))
	}
	out := prev
	cloned := false
	for _, name := range changed {
		i, found := slices.BinarySearch(out, name)
		_, want := views[name]
		if found == want {
			continue
		}
		if !cloned {
			out, cloned = slices.Clone(out), true
		}
		if want {
			out = slices.Insert(out, i, name)
		} else {
			out = slices.Delete(out, i, i+1)
		}
	}
	return out
}

// mergeRoutes puts the file's routes first and adds every service's label
// routes that do not collide: a label route identical to a file route is
// shadowed (the file is the operator's word), and when two services claim the
// same route the one whose name sorts first keeps it, so the outcome does not
// depend on which registration Consul answered first. names are the keys of
// views, sorted.
func mergeRoutes(file []Route, views map[string]*labelView, names []string) ([]Route, map[string][]conflict) {
	n := len(file)
	for _, name := range names {
		n += len(views[name].routes)
	}
	routes := make([]Route, 0, n)
	routes = append(routes, file...)
	owner := make(map[string]string, n) // identity → service; "" for the file
	for _, r := range file {
		owner[routeIdentity(r)] = ""
	}
	conflicts := map[string][]conflict{}
	for _, name := range names {
		v := views[name]
		for i, r := range v.routes {
			id := v.id(i)
			if o, taken := owner[id]; taken {
				if o != name {
					conflicts[name] = append(conflicts[name], conflict{key: v.key(i), msg: conflictMessage(r, o)})
				}
				continue
			}
			owner[id] = name
			routes = append(routes, r)
		}
	}
	for _, list := range conflicts {
		sortConflicts(list)
	}
	return routes, conflicts
}

// describeOwner names who holds a route in mergeRoutes' owner map.
func describeOwner(o string) string {
	if o == "" {
		return "the config file"
	}
	return "service " + o
}

// id is the identity of the view's i-th route.
func (v *labelView) id(i int) string {
	if i < len(v.ids) {
		return v.ids[i]
	}
	return routeIdentity(v.routes[i]) // a view made by hand, in tests
}

// routeIdentity is what makes two routes the same match: host, path and methods.
func routeIdentity(r Route) string {
	ms := slices.Sorted(slices.Values(r.Methods))
	hs := make([]string, 0, len(r.Headers))
	for _, k := range slices.Sorted(maps.Keys(r.Headers)) {
		hs = append(hs, strings.ToLower(k)+"="+r.Headers[k])
	}
	return strings.ToLower(r.Host) + "|" + strings.TrimSuffix(r.Path, "/") + "|" + strings.Join(ms, ",") + "|" + strings.Join(hs, ",")
}

func describeRoute(r Route) string {
	s := r.Host + r.Path
	if len(r.Methods) > 0 {
		s += " (" + strings.Join(r.Methods, ",") + ")"
	}
	return s
}

func sameRoute(a, b Route) bool {
	return routeIdentity(a) == routeIdentity(b) && a.Service == b.Service &&
		a.StripPrefix == b.StripPrefix && a.WebSocket == b.WebSocket
}

func sameLabels(a, b discovery.Labels) bool {
	return slices.Equal(a.Tags, b.Tags) && maps.Equal(a.Meta, b.Meta)
}

// labelProblems lists what is wrong with a service's labels in state st.
func (st *state) labelProblems(service string) []string {
	var out []string
	if v := st.labels[service]; v != nil {
		out = append(out, v.problems...)
	}
	for _, c := range st.conflicts[service] {
		out = append(out, c.msg)
	}
	out = append(out, st.policyProblems[service]...)
	return out
}

// reportLabelProblems logs a service's label problems when they change and
// keeps the bulwark_label_problems gauge in step.
//
// changed, when not nil, names the only services whose labels may differ.
func (g *Gateway) reportLabelProblems(next, old *state, changed []string) {
	// Only services whose labels were re-read, or that have (or had) a
	// conflict or a policy problem, can have changed: with a thousand services
	// one change must not compare all of them.
	names := map[string]bool{}
	if changed != nil {
		for _, n := range changed {
			names[n] = true
		}
	} else {
		for n, v := range next.labels {
			if old.labels[n] != v {
				names[n] = true
			}
		}
		for n := range old.labels {
			if next.labels[n] == nil {
				names[n] = true
			}
		}
	}
	for _, m := range []map[string][]string{next.policyProblems, old.policyProblems} {
		for n := range m {
			names[n] = true
		}
	}
	for _, m := range []map[string][]conflict{next.conflicts, old.conflicts} {
		for n := range m {
			names[n] = true
		}
	}
	for n := range names {
		now, before := next.labelProblems(n), old.labelProblems(n)
		if slices.Equal(now, before) {
			continue
		}
		for _, p := range now {
			if !slices.Contains(before, p) {
				g.log.Warn("service label problem", "service", n, "problem", p)
			}
		}
		if len(now) == 0 {
			g.metrics.labelProblems.Delete(prometheus.Labels{"service": n})
		} else {
			g.metrics.labelProblems.WithLabelValues(n).Set(float64(len(now)))
		}
	}
}
