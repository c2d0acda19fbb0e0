package gateway

import (
	"strconv"

	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/bulwark-gw/bulwark/internal/routing"
)

// conflict is a label route another owner holds, as the merge tests read it.
type conflict struct{ msg string }

// mergeRoutes builds the table of the file's routes and the views' label
// routes as a build does, and lists the routes it kept in merge order (the
// file's, then each service's in the order of names), with each service's
// conflicts.
func mergeRoutes(file []Route, views map[string]*labelView, names []string) ([]Route, map[string][]conflict) {
	st := &state{labels: pmap.From(views)}
	tbl, d := routing.Build[*routeMetrics](nil, routing.Source{File: file, Labels: st.ownedRoutes},
		routing.Dirty{File: true, Services: names})
	key := func(r Route) string {
		return routeIdentity(r) + "→" + r.Service + strconv.FormatBool(r.StripPrefix) + strconv.FormatBool(r.WebSocket)
	}
	kept := map[string]int{} // the table's routes, counted
	for _, rt := range tbl.All() {
		kept[key(rt.Route)]++
	}
	var routes []Route
	take := func(r Route) {
		if k := key(r); kept[k] > 0 {
			kept[k]--
			routes = append(routes, r)
		}
	}
	for _, r := range file {
		take(r)
	}
	for _, n := range names {
		for _, r := range views[n].routes {
			take(r)
		}
	}
	conflicts := map[string][]conflict{}
	for _, n := range d.Conflicted {
		for _, c := range tbl.Conflicts(n) {
			conflicts[n] = append(conflicts[n], conflict{msg: c.Msg})
		}
	}
	return routes, conflicts
}
