package gateway

import "github.com/bulwark-gw/bulwark/internal/routing"

// The route table (buckets, matching, and the ownership of routes between
// the config file and the services' labels) is package internal/routing,
// which knows nothing of HTTP proxying, metrics or discovery. These are its
// names as the gateway uses them: each route carries the gateway's metrics
// for it, bound when the route is compiled and before any request sees it.
type (
	// Route maps matching requests to a service; see routing.Route.
	Route     = routing.Route
	route     = routing.Entry[*routeMetrics]
	table     = routing.Table[*routeMetrics]
	bucketKey = routing.Key
)

// PathPrefix is a route path as the table matches it: without its trailing
// slash, so "/pets/" and "/pets" are one prefix and "/" is the catch-all "".
// Package config finds duplicate routes with it, so two paths the table
// cannot tell apart are refused.
func PathPrefix(path string) string { return routing.PathPrefix(path) }

// routeIdentity is what makes two routes the same match: host, path,
// methods and header conditions.
func routeIdentity(r Route) string { return routing.Identity(r) }

// bucketOfRoute is the bucket of the table a route falls in.
func bucketOfRoute(r Route) bucketKey { return routing.KeyOf(r) }

// ownedRoutes are a service's label routes as the route table takes them.
func (st *state) ownedRoutes(service string) routing.Owned {
	v := st.label(service)
	if v == nil {
		return routing.Owned{}
	}
	return routing.Owned{Routes: v.routes, IDs: v.ids, Keys: v.keys}
}
