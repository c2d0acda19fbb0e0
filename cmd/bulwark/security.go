package main

import (
	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/openapi"
)

// The gateway's auth.from_openapi (issue 17) asks, per request, what the
// service's own OpenAPI document requires of the operation; the catalog
// knows the documents. Neither package may import the other, so the
// answer crosses here, converted from openapi's types to the gateway's.

// operationSecurity is the catalog's Security in the gateway's types, set
// on the gateway's Config at every apply (start and reload). Without the
// portal there is no catalog and it is nil: the gateway then knows no
// document, and a from_openapi route asks for any configured verifier
// (gateway.Config.Security).
func (rt *process) operationSecurity() gateway.OperationSecurity {
	c := rt.catalog
	if c == nil {
		return nil
	}
	return func(service, method, path string) ([]gateway.SecurityRequirement, bool) {
		reqs, found := c.Security(service, method, path)
		return toGatewayRequirements(reqs), found
	}
}

// toGatewayRequirements copies requirements into the gateway's types. The
// two SecurityScheme structs have the same fields, so each converts
// directly; a field added to one and not the other stops this compiling.
func toGatewayRequirements(reqs []openapi.Requirement) []gateway.SecurityRequirement {
	if len(reqs) == 0 {
		return nil
	}
	out := make([]gateway.SecurityRequirement, len(reqs))
	for i, r := range reqs {
		g := make(gateway.SecurityRequirement, len(r))
		for j, s := range r {
			g[j] = gateway.SecurityScheme(s)
		}
		out[i] = g
	}
	return out
}
