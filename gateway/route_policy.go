package gateway

import (
	"sync"

	"github.com/bulwark-gw/bulwark/policies"
)

// A route may set the policy keys that act on one request at a time (the
// cache's, marked Route in package policies) over its service's values. The
// policy a request of the route runs under is its service's, with the
// route's overrides on top: resolved once per state, on the route's first
// request, since the service's policy (its labels) can change with any
// state while the route stays.

// routePolicies holds, per state, the policy of each route that sets keys
// of its own. A route that sets none is never in it: its requests read the
// service's policy.
type routePolicies struct{ m sync.Map } // *route → *policies.Policy

// policyFor is the policy of rt's requests when its service is svc.
func (st *state) policyFor(rt *route, svc *service) *policies.Policy {
	if !rt.OwnPolicy {
		return &svc.policy
	}
	if p, ok := st.routePolicies.m.Load(rt); ok {
		return p.(*policies.Policy)
	}
	p := svc.policy.With(&rt.Policy)
	actual, _ := st.routePolicies.m.LoadOrStore(rt, &p)
	return actual.(*policies.Policy)
}
