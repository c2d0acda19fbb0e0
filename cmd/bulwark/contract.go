package main

import (
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
