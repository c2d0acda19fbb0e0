package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/bulwark-gw/bulwark/internal/routing"
)

// Sentinel errors of the request path. ErrorStatus maps each to one status code.
var (
	// ErrNoRoute: no route matches the request.
	ErrNoRoute = routing.ErrNoRoute
	// ErrMethodNotAllowed: a route matches the path and host but not the method.
	ErrMethodNotAllowed = routing.ErrMethodNotAllowed
	// ErrNoHealthyInstance: the route's service has no instance to send to.
	ErrNoHealthyInstance = errors.New("no healthy instance")
	// ErrBadRequest: the request is malformed or unsafe to forward (see BadRequestError).
	ErrBadRequest = errors.New("bad request")
	// ErrUpstreamTimeout: the upstream did not answer within the policy's timeout.
	ErrUpstreamTimeout = errors.New("upstream timed out")
	// ErrClientGone: the client cancelled or disconnected before the answer.
	ErrClientGone = errors.New("client went away")
	// ErrRequestTimeout: the client did not send its whole request in time.
	ErrRequestTimeout = errors.New("the request body did not arrive in time")
	// ErrBreakerOpen: the service's circuit breaker is open (or half-open and
	// already probing): the request is refused without reaching an upstream.
	ErrBreakerOpen = errors.New("circuit breaker open: the service has been failing")
	// ErrBulkheadFull: the service has its maximum of requests in flight and
	// its queue is full, or the wait in the queue ran out.
	ErrBulkheadFull = errors.New("too many requests in flight to the service")
	// ErrUnauthorized: the route asks for a credential and the request has
	// none that verifies: 401, with a WWW-Authenticate challenge.
	ErrUnauthorized = errors.New("authentication required")
	// ErrForbidden: the caller may not make this request (its address, or a
	// token without the scope the operation needs): 403.
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited: the caller's rate limit is spent: 429, with Retry-After.
	ErrRateLimited = errors.New("rate limit exceeded")
	// ErrAuthUnavailable: what a credential is checked against (a JWKS, a
	// forward auth service) cannot be reached: 503.
	ErrAuthUnavailable = errors.New("authentication unavailable")
)

// AdmissionError is a request refused by an admission stage. Kind is one of
// ErrUnauthorized, ErrForbidden, ErrRateLimited, ErrAuthUnavailable; Reason
// labels metrics ("expired", "ip"); Detail is the problem's sentence, which
// never holds the credential.
type AdmissionError struct {
	Kind   error
	Reason string
	Detail string
}

func (e *AdmissionError) Error() string { return e.Kind.Error() + ": " + e.Detail }

// Unwrap makes errors.Is(err, e.Kind) true.
func (e *AdmissionError) Unwrap() error { return e.Kind }

// BadRequestError says why a request was refused before it reached any upstream.
type BadRequestError struct{ Reason string }

func (e *BadRequestError) Error() string { return "bad request: " + e.Reason }

// Unwrap makes errors.Is(err, ErrBadRequest) true.
func (e *BadRequestError) Unwrap() error { return ErrBadRequest }

// StatusClientClosedRequest is nginx's 499: logged and counted, never sent (the client is gone).
const StatusClientClosedRequest = 499

// retryAfterSeconds is sent with 503 answers: the time after which a new snapshot or
// instance is plausible. Short, because discovery converges in under a second.
const retryAfterSeconds = 1

// ErrorStatus is the one place that maps a failure to an HTTP status:
// no route → 404, wrong method → 405, malformed request → 400,
// no instance → 503 (with Retry-After), client gone → 499, the upstream too slow
// to answer → 504, and anything else from the upstream side → 502, including a
// connect timeout (an instance that cannot be reached is a dial failure, not a slow
// answer) and a response the direct path refuses to read (h1.ErrMalformedResponse).
// A connection the direct path found stale (h1.ErrStaleConn) is whatever its
// cause is: usually 502, 504 when the wait for the answer timed out.
func ErrorStatus(err error) int {
	switch {
	case errors.Is(err, ErrNoRoute):
		return http.StatusNotFound
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrRequestTimeout):
		return http.StatusRequestTimeout
	case errors.Is(err, ErrNoHealthyInstance), errors.Is(err, ErrBreakerOpen), errors.Is(err, ErrBulkheadFull):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrClientGone):
		return StatusClientClosedRequest
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrAuthUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrUpstreamTimeout):
		return http.StatusGatewayTimeout
	case errors.Is(err, h1.ErrMalformedResponse):
		return http.StatusBadGateway
	case isDialError(err):
		return http.StatusBadGateway
	case isTimeout(err):
		return http.StatusGatewayTimeout
	default:
		return http.StatusBadGateway
	}
}

func isTimeout(err error) bool {
	if errors.Is(err, ErrUpstreamTimeout) || errors.Is(err, ErrStreamIdle) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errorKind labels an upstream failure in metrics and logs.
func errorKind(err error) string {
	switch {
	case errors.Is(err, ErrClientGone):
		return "client_gone"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect_refused"
	case isTLSError(err):
		return "tls"
	case isDialError(err):
		return "connect"
	case isTimeout(err):
		return "timeout"
	default:
		return "protocol"
	}
}

// isTLSError reports a failed TLS handshake with an upstream: its certificate
// did not verify, or it refused the gateway's.
func isTLSError(err error) bool {
	var verify *tls.CertificateVerificationError
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	// An alert the upstream sent (say, "certificate required" when mutual TLS
	// fails) reaches the client as crypto/tls's unexported alert type, known
	// only by its text.
	return errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &rec) ||
		strings.Contains(err.Error(), "remote error: tls:")
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Service   string `json:"service,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// writeProblem answers with application/problem+json. The detail names the reason
// and the service, never an instance address: that stays in the log.
func writeProblem(w http.ResponseWriter, status int, detail, service, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	if requestID != "" {
		h.Set("X-Request-Id", requestID) // as on proxied answers
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Service:   service,
		RequestID: requestID,
	})
}
