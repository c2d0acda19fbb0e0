package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bulwark-gw/bulwark/internal/h1"
)

// Retries happen inside the round trip that ReverseProxy makes, before any
// byte of the answer reaches the client, so the client sees one response: the
// first good one, or the last failure.
//
// A failed attempt is retried only where that is safe: any method when the
// request provably never left (see unprocessed), otherwise only idempotent
// methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or requests carrying an
// Idempotency-Key; always on a different instance; after a jittered backoff;
// within the whole-request timeout; and within the service's retry budget. A
// request body is replayed from a copy taken before the first attempt, and
// only bodies up to MaxBodyBytes are copied; a request with a larger or
// streamed body is never retried, since the transport has closed it by then.
//
// A request the instance provably did not process is the exception: it goes
// to another instance at once, with no backoff, outside the budget and
// without using up one of its attempts, because resending it adds no load.
// That is a refused connection, and a pooled keep-alive connection the
// instance closed before sending a byte of an answer (an instance restarting
// closes its idle connections while requests are already on their way to
// them): a rolling restart then loses nothing even when the budget is spent,
// as it is under CPU contention (a few keyed PUTs in a thousand got 502). At
// most maxFreeRetries such retries are made per request, each to an instance
// not yet tried; attempts 1 still turns every retry off.

// maxBackoff caps the wait between attempts.
const maxBackoff = time.Second

// maxFreeRetries bounds the retries of one request that the instances
// provably did not process (see unprocessed); otherInstance bounds them too,
// since each goes to an instance not yet tried.
const maxFreeRetries = 3

// roundTrip sends the request to ex.up and, when that attempt fails in a way
// that is safe to retry, to other instances.
func (p *proxy) roundTrip(r *http.Request) (*http.Response, error) {
	ex := exchangeFrom(r.Context())
	s := ex.svc
	tried := []*Upstream{ex.up}
	req := r
	// budgeted is true while this request holds a slot of the retry budget:
	// from the backoff until the retry's answer, so the budget bounds the
	// retries in flight, not only those waiting.
	budgeted := false
	defer func() {
		if budgeted {
			s.guard.doneRetry()
		}
	}()
	free := 0 // retries of attempts the instance provably did not process
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			ex.retries++
		}
		sent, trace := traced(req)
		res, err := s.transport.RoundTrip(sent)
		failed, reason := attemptFailed(res, err, ex)
		if !neutralAttempt(ex) {
			p.g.observe(s, ex.up, failed, reason)
		}
		if !failed || s.policy.Retries.Attempts <= 1 || !replayable(req, ex) {
			return res, err
		}
		var next *Upstream
		if free < maxFreeRetries && unprocessed(req, err, trace) {
			// Resending costs the instances nothing: at once, outside the
			// budget, and not counted against the attempts.
			if next = otherInstance(s, tried); next == nil {
				return res, err
			}
			free++
			if !isDialError(err) {
				reason = "stale_connection"
			}
		} else {
			if attempt-free >= s.policy.Retries.Attempts || !retryable(req, res, err) {
				return res, err
			}
			if next = otherInstance(s, tried); next == nil {
				return res, err
			}
			if budgeted {
				s.guard.doneRetry()
				budgeted = false
			}
			if !s.guard.takeRetry() {
				p.g.metrics.retries.WithLabelValues(s.name, "budget_exhausted").Inc()
				return res, err
			}
			budgeted = true
			t := time.NewTimer(backoff(s.policy.Retries.Backoff, attempt-free))
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return res, err
			}
		}
		if res != nil {
			discard(res)
		}
		p.g.metrics.retries.WithLabelValues(s.name, reason).Inc()
		ex.up.Release()
		next.Acquire()
		ex.up = next
		tried = append(tried, next)
		req = r.Clone(r.Context())
		req.URL.Host = next.Addr
		if ex.replay != nil {
			req.Body = io.NopCloser(bytes.NewReader(ex.replay))
		}
	}
}

// attemptFailed says whether an attempt counts against its instance, and why.
// A client that left or the whole-request timer firing is not the instance's
// fault; a 5xx answer, a connect error and a try timeout are.
func attemptFailed(res *http.Response, err error, ex *exchange) (bool, string) {
	switch {
	case neutralAttempt(ex):
		return false, ""
	case ex.upstream.Err() != nil:
		// The whole-request timer fired: the instance did not answer in
		// time, which is its failure (a hung instance must be ejected).
		return context.Cause(ex.upstream) == ErrUpstreamTimeout, "timeout" //nolint:errorlint // sentinel
	case err != nil:
		return true, errorKind(err)
	case res.StatusCode >= 500:
		return true, "status_" + strconv.Itoa(res.StatusCode)
	}
	return false, ""
}

// neutralAttempt reports attempts that say nothing about the instance: the
// client left, or its own body failed. They count neither way, so a client
// that gives up cannot reset an instance's run of failures.
func neutralAttempt(ex *exchange) bool {
	return ex.client.Err() != nil || (ex.body != nil && ex.body.err != nil)
}

// replayable says whether the request can be sent again: it has no body, or
// its body was copied for replay.
func replayable(req *http.Request, ex *exchange) bool {
	return req.Body == nil || req.Body == http.NoBody || ex.replay != nil
}

// retryable says whether a failed attempt that may have been processed can be
// tried again: only when idempotent and the failure is the gateway-error kind
// (502, 503, 504, or no answer): a 500 is the application's own verdict and
// would only be repeated.
func retryable(req *http.Request, res *http.Response, err error) bool {
	if !idempotent(req) {
		return false
	}
	if err != nil {
		return true
	}
	switch res.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// attemptTrace records how far an attempt got, from net/http's trace hooks;
// the transport calls them on its own goroutines.
type attemptTrace struct {
	gotConn, reused, wroteRequest, gotFirstByte atomic.Bool
}

// traced returns req carrying an attemptTrace, when req takes the service's
// http.Transport. The direct path (internal/h1) calls no hooks: it resends
// a request whose pooled connection went stale itself, and reports one that
// stays stale as h1.ErrStaleConn.
func traced(req *http.Request) (*http.Request, *attemptTrace) {
	if h1.Directable(req) {
		return req, nil
	}
	at := &attemptTrace{}
	ctx := httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			at.reused.Store(info.Reused)
			at.gotConn.Store(true)
		},
		// Called once the request is written, or its writing failed part way.
		WroteRequest:         func(httptrace.WroteRequestInfo) { at.wroteRequest.Store(true) },
		GotFirstResponseByte: func() { at.gotFirstByte.Store(true) },
	})
	return req.WithContext(ctx), at
}

// errServerClosedIdle is net/http's unexported error for a pooled connection
// the server closed while it was idle: its end of file arrived before this
// request was handed to the connection, so the server never read the request.
const errServerClosedIdle = "http: server closed idle connection"

// unprocessed reports a failed attempt that the instance provably did not
// process, and that may therefore be resent whatever its method:
//   - the connection could not be made (refused, unreachable);
//   - the pooled connection was closed while idle (errServerClosedIdle);
//   - a connection was obtained but the request was never written to it.
//
// And, for idempotent requests only, a pooled connection that failed (end of
// file, reset) after the request was written but before a byte of an answer
// came back: net/http's own rule for a stale keep-alive connection. The
// instance most likely closed it as idle just as the request arrived, but a
// crash after processing looks the same, so a POST without an Idempotency-Key
// is not resent.
func unprocessed(req *http.Request, err error, at *attemptTrace) bool {
	switch {
	case err == nil || req.Context().Err() != nil:
		return false
	case isDialError(err), err.Error() == errServerClosedIdle:
		return true
	case errors.Is(err, h1.ErrStaleConn): // the direct path's; its methods are idempotent
		return idempotent(req)
	case at == nil || !at.gotConn.Load() || at.gotFirstByte.Load() || isTimeout(err):
		return false
	case !at.wroteRequest.Load():
		return true
	}
	return at.reused.Load() && idempotent(req) && connectionLost(err)
}

// connectionLost reports a connection the peer closed or reset. net.ErrClosed
// is the transport's own close, when the peer's end of file reaches it while
// the request body is still being written.
func connectionLost(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "transport connection broken")
}

// idempotent is RFC 9110's idempotent methods, plus any request with an
// Idempotency-Key (the IETF draft Stripe and others use for POST).
func idempotent(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return r.Header.Get("Idempotency-Key") != ""
}

// otherInstance picks an available instance not yet tried, starting at a
// random one so retries spread out.
func otherInstance(s *service, tried []*Upstream) *Upstream {
	ups := s.pool.Upstreams
	if len(ups) == 0 {
		return nil
	}
	start := rand.IntN(len(ups))
	for i := range ups {
		u := ups[(start+i)%len(ups)]
		if u.Available() && !containsUpstream(tried, u) {
			return u
		}
	}
	return nil
}

func containsUpstream(list []*Upstream, u *Upstream) bool {
	for _, x := range list {
		if x == u {
			return true
		}
	}
	return false
}

// backoff is base×2^(attempt-1), jittered to [½, 1½) of that, capped.
func backoff(base time.Duration, attempt int) time.Duration {
	if base <= 0 {
		return 0
	}
	d := min(base<<(attempt-1), maxBackoff)
	return d/2 + rand.N(d)
}

// discard releases a failed attempt's response: a short body is read so its
// connection can be reused; a long one is closed.
func discard(res *http.Response) {
	_, _ = io.CopyN(io.Discard, res.Body, 4<<10)
	_ = res.Body.Close()
}

// bufferForReplay copies a request body of known, small size so that a retry
// can send it again. It returns nil when the body is absent, too large, of
// unknown length, or retries are off.
func bufferForReplay(r *http.Request, limit int64, body io.Reader) ([]byte, error) {
	if r.ContentLength <= 0 || r.ContentLength > limit || body == nil {
		return nil, nil
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
