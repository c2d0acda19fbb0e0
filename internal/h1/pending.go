package h1

import (
	"context"
	"errors"
	"net/http"
)

// Pending is a request sent and not yet answered (Send). Its Wait reads the
// answer, on whichever goroutine calls it.
//
// Why split a round trip: a watch of a Consul service spends its life
// waiting for an answer that comes when the service changes, and the
// goroutine that waits keeps on its stack every frame above the wait. A
// caller that sends on its own goroutine and waits on a new one, which
// does nothing else until the answer, parks a goroutine whose stack holds
// a few frames: it never grows past its first size, where a watch that
// waited inside its own loop kept 8 KiB (issue 20).
type Pending struct {
	t       *Transport
	req     *http.Request
	pc      *conn       // the connection the request went on (direct path)
	stop    func() bool // its cancellation hook
	attempt int
}

// Send writes req and returns without reading the answer. Requests the
// direct path does not carry (see RoundTrip) are sent by Wait, through the
// fallback transport, instead.
func (t *Transport) Send(req *http.Request) (*Pending, error) {
	p := &Pending{t: t, req: req}
	if !canCheckIdle || !Directable(req) {
		return p, nil
	}
	return p, p.send()
}

// send writes the request on an idle connection or a new one, retrying a
// stale one as RoundTrip does.
func (p *Pending) send() error {
	ctx := p.req.Context()
	for {
		pc, err := p.t.get(ctx, p.req.URL.Host)
		if err != nil {
			if ctx.Err() != nil { // cancelled while dialing: say why, as a failed send does
				return context.Cause(ctx)
			}
			return err
		}
		stop, err := pc.send(p.req)
		if err == nil {
			p.pc, p.stop = pc, stop
			return nil
		}
		if !p.retry(err) {
			return err
		}
	}
}

// retry reports whether a failed attempt is tried again, on a connection
// dialled anew: a stale one, not cancelled, within maxStaleRetries.
func (p *Pending) retry(err error) bool {
	if !errors.Is(err, ErrStaleConn) || p.req.Context().Err() != nil || p.attempt == maxStaleRetries {
		return false
	}
	p.attempt++
	// The upstream closed idle connections: probably all of them (a
	// restart), so the retry dials a new one rather than trying the next.
	p.t.closeIdle(p.req.URL.Host)
	return true
}

// Wait reads the answer: the response headers, with a body that holds the
// connection until read to its end or closed, as RoundTrip's. A reused
// connection the upstream had closed is retried on another, as RoundTrip
// does. Call it once.
func (p *Pending) Wait() (*http.Response, error) {
	if p.pc == nil {
		return p.t.std.RoundTrip(p.req)
	}
	for {
		err := p.pc.await(p.req, p.stop)
		if err == nil {
			res, rerr := p.pc.receive(p.req, p.stop)
			if rerr == nil {
				return res, nil
			}
			err = rerr
		}
		if !p.retry(err) {
			return nil, err
		}
		if err := p.send(); err != nil {
			return nil, err
		}
	}
}
