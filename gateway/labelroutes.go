package gateway

import (
	"maps"
	"slices"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/prometheus/client_golang/prometheus"
)

// buildLabels brings next's label views up to date with next.snap for the
// services named (build.go: those the snapshot says changed, or every one).
// A service's labels are read again only when they changed, so an instance
// coming or going costs no routing work at all. It returns the services
// whose label routes moved: the only ones the route table has to look at.
func buildLabels(next, prev *state, names []string) (moved []string) {
	var labels pmap.Map[string, discovery.Labels]
	if next.snap != nil {
		labels = next.snap.Labels
	}
	views := pmap.NewBuilder(prev.labels)
	for _, name := range names {
		l, ok := labels.Get(name)
		was := prev.label(name)
		switch {
		case !ok:
			views.Delete(name)
			if was != nil && len(was.routes) > 0 {
				moved = append(moved, name)
			}
		case was != nil && sameLabels(was.src, l):
			// Instances came, went or changed health, labels did not:
			// the view stays, and the service costs no routing work.
		default:
			v := readLabels(name, l)
			views.Set(name, v)
			if was == nil && len(v.routes) > 0 || was != nil && !slices.EqualFunc(was.routes, v.routes, sameRoute) {
				moved = append(moved, name)
			}
		}
	}
	next.labels = views.Map()
	return moved
}

func sameRoute(a, b Route) bool {
	return routeIdentity(a) == routeIdentity(b) && a.Service == b.Service &&
		a.StripPrefix == b.StripPrefix && a.WebSocket == b.WebSocket
}

func sameLabels(a, b discovery.Labels) bool {
	return slices.Equal(a.Tags, b.Tags) && maps.Equal(a.Meta, b.Meta)
}

// labelProblems lists what is wrong with a service's labels in state st: the
// label reader's problems, the label routes another owner holds, and the
// policy its labels could not set.
func (st *state) labelProblems(service string) []string {
	var out []string
	if v := st.label(service); v != nil {
		out = append(out, v.problems...)
	}
	for _, c := range st.table.Conflicts(service) {
		out = append(out, c.Msg)
	}
	out = append(out, st.policyProblems[service]...)
	return out
}

// reportLabelProblems logs a service's label problems when they change and
// keeps the bulwark_label_problems gauge in step.
//
// Only the services whose labels were read again (d.labels), whose conflicts
// the route table may have changed, or that have (or had) a policy problem,
// can have changed: with a thousand services one change must not compare all
// of them.
func (g *Gateway) reportLabelProblems(next, old *state, d delta) {
	set := make(map[string]bool, len(d.labels))
	for _, names := range [][]string{d.labels, d.routes.Conflicted} {
		for _, n := range names {
			set[n] = true
		}
	}
	for _, m := range []map[string][]string{next.policyProblems, old.policyProblems} {
		for n := range m {
			set[n] = true
		}
	}
	for n := range set {
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
