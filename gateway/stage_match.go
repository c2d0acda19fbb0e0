package gateway

import "net/http"

// matchStage finds the request's route in the state's table, or refuses with
// 404, or 405 with the Allow header RFC 9110 requires. It comes right after
// sanitize, and before every stage that reads a route's settings.
//
// A path with matrix parameters (";...") must take the same route without
// them, since some upstreams remove them: otherwise "/admin;x/delete" could
// take a catch-all route to an upstream that serves "/admin/delete", past the
// "/admin" route's rules.
type matchStage struct{}

func (matchStage) request(w http.ResponseWriter, r *http.Request, ex *exchange) error {
	t := ex.state.table
	rt, err := t.Match(r)
	if err == nil && !matchesWithoutMatrix(t, r, rt) {
		err = &BadRequestError{Reason: "the path takes another route once its matrix parameters (;...) are removed, as some upstreams remove them"}
	}
	if err != nil {
		if err == ErrMethodNotAllowed { //nolint:errorlint // sentinel from match
			w.Header().Set("Allow", t.Allowed(r))
		}
		return err
	}
	ex.route = rt
	rt.Data.inflight.Inc() // record decrements it
	return nil
}
