package gateway

import "net/http"

// serviceStage finds the matched route's service in the state: its resolved
// policy (with the route's own keys over it, as ex.policy), pool and guard. It comes before every stage that reads a service's
// policy, so those find ex.svc set. Whether the service has an instance to
// send to is the guard's question, asked last, so that a stage that can
// answer without an upstream (a cache hit) still can when none is up.
type serviceStage struct{}

func (serviceStage) request(_ http.ResponseWriter, _ *http.Request, ex *exchange) error {
	ex.svc = ex.state.service(ex.route.Service)
	if ex.svc == nil {
		return ErrNoHealthyInstance
	}
	ex.policy = ex.state.policyFor(ex.route, ex.svc)
	return nil
}
