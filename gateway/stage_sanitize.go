package gateway

import "net/http"

// sanitizeStage refuses a request whose meaning could differ between the
// gateway and an upstream (checkRequest, sanitize.go). It is first: the route
// is chosen by reading the request, so a request that can be read two ways
// must never be routed, and no later stage may see it either.
type sanitizeStage struct{}

func (sanitizeStage) request(_ http.ResponseWriter, r *http.Request, _ *exchange) error {
	if bad := checkRequest(r); bad != nil {
		return bad
	}
	return nil
}
