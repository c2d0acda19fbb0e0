package gateway

import "net/http"

// traceStage gives the response the request's id and the Server-Timing of the
// gateway and the upstream. It is the last response stage so that the id the
// client gets is the one the access log records: a header rule that came
// after it could remove or forge the id that ties a complaint to a log line.
type traceStage struct{}

func (traceStage) response(res *http.Response, ex *exchange) error {
	h := res.Header
	vals := newOutValues(2) // one array for both values (headers.go)
	if prior := h["Server-Timing"]; len(prior) > 0 {
		h.Add("Server-Timing", serverTiming(ex)) // after the upstream's own
	} else {
		vals.set(h, "Server-Timing", serverTiming(ex))
	}
	vals.set(h, "X-Request-Id", ex.requestID)
	return nil
}
