package gateway

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/bulwark-gw/bulwark/internal/accesslog"
)

// recorder notes the status and size of a response for metrics and the access
// log. It exposes the underlying writer through Unwrap, so ReverseProxy's
// http.ResponseController can still flush streams and hijack upgrades.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// ReverseProxy copies an upstream's 1xx headers verbatim (go#81319).
		removeHopByHop(r.Header())
	}
	if !r.wroteHeader && code >= 200 || code == http.StatusSwitchingProtocols {
		r.status = code
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush, Hijack and deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush is here too because some code checks for http.Flusher directly.
func (r *recorder) Flush() {
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Hijack is needed by code that type-asserts http.Hijacker (WebSocket libraries).
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil && !r.wroteHeader {
		// ReverseProxy hijacks only to send an upstream's 101 itself.
		r.status, r.wroteHeader = http.StatusSwitchingProtocols, true
	}
	return c, brw, err
}

// record accounts for a finished request: its status (499 when the client went
// away), latency, in-flight gauge, upstream error counter and access log line.
func (g *Gateway) record(ex *exchange, rec *recorder, r *http.Request) {
	status := rec.status
	if errors.Is(ex.err, ErrClientGone) || (status == 0 && ex.client.Err() != nil) {
		status = StatusClientClosedRequest
	}
	if status == 0 {
		status = http.StatusOK
	}
	elapsed := time.Since(ex.start)
	rm := g.metrics.unrouted
	if ex.route != nil {
		rm = ex.route.Data
		rm.series().inflight.Dec()
	}
	rm.counter(status).Inc()
	rm.series().duration.Observe(elapsed.Seconds())
	rm.plain.add(status, elapsed)
	if ex.up != nil && ex.err != nil && !clientFault(ex.err) {
		g.metrics.upstreamErrors.WithLabelValues(ex.svc.name, errorKind(ex.err)).Inc()
	}
	if !ex.state.cfg.AccessLog || !g.access.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	e := accesslog.Entry{
		Method: r.Method, Host: r.Host, Path: r.URL.Path,
		Status: status, Bytes: rec.bytes, Duration: elapsed,
		Remote: r.RemoteAddr, RequestID: ex.requestID,
	}
	if ex.route != nil {
		e.Route, e.Service = ex.route.Name, ex.route.Service
	}
	e.Consumer = ex.consumer
	if ex.up != nil {
		e.Instance = ex.up.Addr
	}
	if ex.err != nil {
		e.Err = ex.err.Error()
	}
	if g.accessFast != nil {
		_ = g.accessFast.LogRequest(time.Now(), &e)
		return
	}
	_ = g.access.Handler().Handle(context.Background(), e.Record(time.Now()))
}

// clientFault reports errors caused by the client, which must not count against
// the upstream in its error metrics (breakerOutcome leaves them out of the
// breaker too).
func clientFault(err error) bool {
	return errors.Is(err, ErrBadRequest) || errors.Is(err, ErrRequestTimeout)
}
