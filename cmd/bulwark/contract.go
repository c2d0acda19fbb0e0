package main

import (
	"net/http"

	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/openapi"
	"github.com/bulwark-gw/bulwark/portal"
)

// portalConformance is the gateway's count of a service's traffic against
// its document, copied into the portal's types (neither package imports the
// other).
func (rt *process) portalConformance(service string) (portal.Conformance, bool) {
	v, ok := rt.gw.Contract(service)
	if !ok {
		return portal.Conformance{}, false
	}
	c := portal.Conformance{Problem: v.Problem, Undocumented: v.Undocumented,
		Operations: make(map[string]portal.OperationConformance, len(v.Operations))}
	for _, o := range v.Operations {
		oc := portal.OperationConformance{Requests: o.Requests, Invalid: o.Invalid, ByKind: o.ByKind,
			Responses: make(map[string]portal.ResponseConformance, len(o.Responses))}
		for status, r := range o.Responses {
			oc.Responses[status] = portal.ResponseConformance{Checked: r.Checked, Invalid: r.Invalid, ByKind: r.ByKind}
		}
		for _, e := range o.Examples {
			oc.Examples = append(oc.Examples, portal.ConformanceExample{Direction: e.Direction, Kind: e.Kind,
				Pointer: e.Pointer, Message: e.Message, Status: e.Status})
		}
		c.Operations[o.Operation] = oc
	}
	return c, true
}

// contracts is the catalog's validators in the gateway's types, set on the
// gateway's Config at every apply; nil without a catalog (the portal off):
// there is no document to hold traffic to.
func (rt *process) contracts() gateway.Contracts {
	c := rt.catalog
	if c == nil {
		return nil
	}
	return func(service string) (gateway.Contract, string) {
		ct, problem := c.Contract(service)
		if ct == nil {
			return nil, problem
		}
		return contractAdapter{ct}, ""
	}
}

// contractAdapter is an openapi.Contract as a gateway.Contract.
type contractAdapter struct{ c *openapi.Contract }

func (a contractAdapter) Request(r *http.Request, body []byte) gateway.ContractResult {
	res := a.c.Request(r, body)
	return gateway.ContractResult{Found: res.Found, Operation: res.Operation, Template: res.Template,
		Violations: toGatewayViolations(res.Violations), Status: res.Status}
}

func (a contractAdapter) Response(op string, status int, header http.Header, body []byte) []gateway.Violation {
	return toGatewayViolations(a.c.Response(op, status, header, body))
}

func (a contractAdapter) Notes() []string { return a.c.Notes() }

func toGatewayViolations(vs []openapi.Violation) []gateway.Violation {
	if len(vs) == 0 {
		return nil
	}
	out := make([]gateway.Violation, len(vs))
	for i, v := range vs {
		out[i] = gateway.Violation{Kind: v.Kind, Pointer: v.Pointer, Message: v.Message}
	}
	return out
}
