package gateway

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Retries happen inside the round trip that ReverseProxy makes, before any
// byte of the answer reaches the client, so the client sees one response: the
// first good one, or the last failure.
//
// A failed attempt is retried only where that is safe: any method when the
// request provably never left (the connection was refused or could not be
// made), otherwise only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE,
// TRACE) or requests carrying an Idempotency-Key; always on a different
// instance; after a jittered backoff; within the whole-request timeout; and
// within the service's retry budget (a request that never left goes at once
// and outside the budget: retrying it adds no load). A request body is
// replayed from a copy taken before the first attempt, and only bodies up to
// MaxBodyBytes are copied; a request with a larger or streamed body is never
// retried, since the transport has closed it by then.

// maxBackoff caps the wait between attempts.
const maxBackoff = time.Second

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
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			ex.retries++
		}
		res, err := s.transport.RoundTrip(req)
		failed, reason := attemptFailed(res, err, ex)
		if !neutralAttempt(ex) {
			p.g.observe(s, ex.up, failed, reason)
		}
		if !failed || attempt >= s.policy.Retries.Attempts || !retryable(req, res, err, ex) {
			return res, err
		}
		next := otherInstance(s, tried)
		if next == nil {
			return res, err
		}
		// A request that never left (the connection could not be made) costs
		// the upstreams nothing to retry: it goes at once, outside the budget.
		// Any other retry is budgeted and waits a jittered backoff first.
		if !neverLeft(err) {
			if budgeted {
				s.guard.doneRetry()
				budgeted = false
			}
			if !s.guard.takeRetry() {
				p.g.metrics.retries.WithLabelValues(s.name, "budget_exhausted").Inc()
				return res, err
			}
			budgeted = true
			t := time.NewTimer(backoff(s.policy.Retries.Backoff, attempt))
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

// retryable says whether a failed attempt may be tried again: never-sent
// requests always (if their body can be replayed), others only when idempotent
// and the failure is the gateway-error kind (502, 503, 504, or no answer): a
// 500 is the application's own verdict and would only be repeated.
func retryable(req *http.Request, res *http.Response, err error, ex *exchange) bool {
	if req.Body != nil && req.Body != http.NoBody && ex.replay == nil {
		return false
	}
	if neverLeft(err) {
		return true
	}
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

// neverLeft reports a failure to connect: the request was not sent.
func neverLeft(err error) bool { return err != nil && isDialError(err) }

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
