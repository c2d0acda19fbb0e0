package gateway

import (
	"errors"
	"net/http"
	"time"

	"github.com/bulwark-gw/bulwark/internal/httpcache"
)

// A stored response may stand in for a failure: the upstream unreachable or
// timing out, its breaker open, its bulkhead full, no instance up (here),
// or answering 500, 502, 503 or 504 (cacheStoreStage). This is where the
// cache and the guard know each other: the guard's refusals and the proxy's
// errors all end in refuse or the proxy's error handler, which ask
// serveStale first. It answers only for those failures, never for an
// answer (a 404, a 401) and never for the client's own faults, and only
// where the entry allows (stale-if-error, cache.serve_stale_on_error, and
// no must-revalidate).

// staleReason names the failure a stale response may stand in for, as
// Cache-Status's detail and the metrics' reason say it.
func staleReason(err error) string {
	switch {
	case errors.Is(err, ErrBreakerOpen):
		return "breaker"
	case errors.Is(err, ErrBulkheadFull):
		return "bulkhead"
	case errors.Is(err, ErrNoHealthyInstance):
		return "no-instance"
	case errors.Is(err, ErrClientGone), errors.Is(err, ErrBadRequest), errors.Is(err, ErrRequestTimeout):
		return "" // the client's doing: nothing to stand in for
	}
	switch ErrorStatus(err) {
	case http.StatusGatewayTimeout:
		return "timeout"
	case http.StatusBadGateway:
		return "connect"
	}
	return ""
}

// serveStale answers with the stored entry in place of err, when the
// failure and the entry allow it, and says whether it did.
func (tx *cacheTx) serveStale(w http.ResponseWriter, ex *exchange, err error) bool {
	if tx == nil || tx.entry == nil || tx.refresh {
		return false
	}
	reason := staleReason(err)
	if reason == "" || !staleMayAnswer(tx, time.Now()) {
		return false
	}
	tx.finish(nil)
	w.Header().Del("Retry-After") // set for the refusal that is not sent
	st := httpcache.CacheStatus{Detail: "stale-if-error/" + reason}
	switch reason {
	case "connect", "timeout":
		st.Fwd = "stale" // it went upstream, and nothing came back
	default:
		st.Hit = true // it never left the gateway
	}
	writeEntry(w, tx.req, conditionalOf(tx), ex, tx.entry, st)
	tx.cache.store.RecordStaleIfError()
	tx.metrics.stale(tx.cache.name, reason)
	tx.metrics.result(tx.cache.name, "stale")
	return true
}

// conditionalOf is the client's own conditional fields.
func conditionalOf(tx *cacheTx) http.Header {
	if tx.clientConditional != nil {
		return tx.clientConditional
	}
	return tx.req.Header
}
