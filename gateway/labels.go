package gateway

import (
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/labels"
	"github.com/bulwark-gw/bulwark/policies"
)

// Services opt in to routing with labels on their registration (Consul tags
// and meta), so a team ships a service and its route together without
// touching the gateway's file. internal/labels reads them (the vocabulary and
// its rules are there); the gateway keeps what they mean to it per service.

// labelView is what a service's labels mean to the gateway. Views are rebuilt
// only when a service's labels change.
type labelView struct {
	src      discovery.Labels
	routes   []Route
	ids      []string    // routeIdentity of each route, computed once
	keys     []bucketKey // the bucket of each route
	policy   policies.Overrides
	problems []string
}

// readLabels interprets one service's labels.
func readLabels(service string, l discovery.Labels) *labelView {
	parsed := labels.Parse(l.Tags, l.Meta)
	v := &labelView{src: l, policy: parsed.Policy, problems: parsed.Problems}
	if n := len(parsed.Routes); n > 0 {
		v.routes, v.ids, v.keys = make([]Route, 0, n), make([]string, 0, n), make([]bucketKey, 0, n)
	}
	for _, lr := range parsed.Routes {
		r := Route{Service: service, Host: lr.Host, Path: lr.Path, Methods: lr.Methods,
			StripPrefix: lr.StripPrefix, WebSocket: lr.WebSocket}
		v.routes = append(v.routes, r)
		v.ids = append(v.ids, routeIdentity(r))
		v.keys = append(v.keys, bucketOfRoute(r))
	}
	return v
}
