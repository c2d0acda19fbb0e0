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
	if err == ErrMethodNotAllowed { //nolint:errorlint // sentinel from match
		if prt, pr := preflightRoute(ex.state, r); prt != nil {
			rt, err, r = prt, nil, pr
		}
	}
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
	rt.Data.series().inflight.Inc() // record decrements it
	return nil
}

// preflightRoute is, for a CORS preflight that no route takes as OPTIONS,
// the route that would take the request it asks about (its
// Access-Control-Request-Method), when that route's policy answers CORS;
// with the request as that route matched it. A route limited to GET and
// POST is then still asked from a browser: the preflight is answered by
// corsStage, which never sends it upstream. A route without CORS gets no
// such pass: its OPTIONS stays a 405.
func preflightRoute(st *state, r *http.Request) (*route, *http.Request) {
	m := r.Header.Get("Access-Control-Request-Method")
	if r.Method != http.MethodOptions || m == "" || m == http.MethodOptions || r.Header.Get("Origin") == "" {
		return nil, nil
	}
	as := new(http.Request)
	*as = *r
	as.Method = m
	rt, err := st.table.Match(as)
	if err != nil {
		return nil, nil
	}
	svc := st.service(rt.Service)
	if svc == nil || corsOrigins.Of(st.policyFor(rt, svc)).Empty() {
		return nil, nil
	}
	return rt, as
}
