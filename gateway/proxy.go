package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"
)

// proxy wraps one httputil.ReverseProxy shared by all routes. The exchange (the
// picked instance, its service and the request's timing) travels in the request's
// context, so Rewrite, RoundTrip (which picks the service's transport),
// ModifyResponse and ErrorHandler all see the same record.
type proxy struct {
	g  *Gateway
	rp *httputil.ReverseProxy
}

func newProxy(g *Gateway) *proxy {
	p := &proxy{g: g}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      roundTripperFunc(p.roundTrip),
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
		BufferPool:     bufferPool{},
		ErrorLog:       slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
	}
	return p
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// serve proxies the request to ex.up under the service's timeouts: the timer
// bounds the whole request (timeout), the service's transport the wait for
// response headers (try_timeout); streams are released from the timer once their
// headers arrive.
func (p *proxy) serve(w http.ResponseWriter, r *http.Request, ex *exchange) {
	ctx, cancel := context.WithCancelCause(r.Context())
	ex.cancel, ex.upstream = cancel, ctx
	ex.timer = time.AfterFunc(ex.svc.policy.Timeout, func() { cancel(ErrUpstreamTimeout) })
	defer func() {
		ex.timer.Stop()
		cancel(nil)
	}()
	ctx = context.WithValue(ctx, exchangeKey{}, ex)

	if ex.bodyRead != nil {
		p.serveRead(w, r.WithContext(ctx), ex)
		return
	}
	body, bad := wrapBody(r)
	if bad != nil {
		ex.err = bad
		writeProblem(w, http.StatusBadRequest, bad.Reason, ex.svc.name, ex.requestID)
		return
	}
	ex.body = body
	out := r.WithContext(ctx)
	if body != nil {
		out.Body = body
		if ex.svc.policy.Retries.Attempts > 1 {
			buf, err := bufferForReplay(r, ex.svc.policy.Retries.MaxBodyBytes, body)
			if err != nil {
				p.errorHandler(w, out, err)
				return
			}
			if buf != nil {
				ex.replay = buf
				out.Body = io.NopCloser(bytes.NewReader(buf))
			}
		}
	}
	ex.up.Acquire()
	defer func() { ex.up.Release() }() // a retry may have moved ex.up
	p.rp.ServeHTTP(w, out)
}

// rewrite builds the outbound request. ReverseProxy has already removed hop-by-hop
// headers (and any header named in Connection) and the inbound Forwarded and
// X-Forwarded-For/Host/Proto, so the headers set here reach the upstream intact
// whatever the client put in Connection.
func (p *proxy) rewrite(pr *httputil.ProxyRequest) {
	ex := exchangeFrom(pr.In.Context())
	out := pr.Out
	pr.SetURL(ex.up.url)
	if ex.route.StripPrefix && ex.route.Prefix != "" {
		stripPrefix(out, ex.route.Prefix)
	}
	vals := newOutValues(6)
	setForwarded(pr, ex, &vals)
	for name, vals := range ex.identity { // who authentication found (stage_auth.go)
		out.Header[name] = vals
	}
	vals.set(out.Header, "X-Request-Id", ex.requestID)
	ex.sent = out.Header
	ex.sentAt = time.Now()
}

// serveRead proxies a request whose body the validate stage has read
// (ex.bodyRead): the upstream gets the very bytes that were checked, then
// whatever is left unread in the client's body. A body read whole is also
// the replay copy for retries, within retries.max_body_bytes.
func (p *proxy) serveRead(w http.ResponseWriter, out *http.Request, ex *exchange) {
	read := ex.bodyRead
	if ex.bodyMore {
		ex.body = &requestBody{Reader: io.MultiReader(bytes.NewReader(read), out.Body), closer: out.Body}
		out.Body = ex.body
	} else {
		out.Body = io.NopCloser(bytes.NewReader(read))
		if rp := ex.svc.policy.Retries; rp.Attempts > 1 && int64(len(read)) <= rp.MaxBodyBytes {
			ex.replay = read
		}
	}
	ex.up.Acquire()
	defer func() { ex.up.Release() }() // a retry may have moved ex.up
	p.rp.ServeHTTP(w, out)
}

// stripPrefix removes prefix from the outbound path. The route matched on the
// decoded path; if the raw path does not start with the same bytes, the raw form
// is dropped and re-derived from the decoded one, so both always agree.
func stripPrefix(out *http.Request, prefix string) {
	u := out.URL
	u.Path = strings.TrimPrefix(u.Path, prefix)
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawPath != "" {
		raw, ok := strings.CutPrefix(u.RawPath, prefix)
		if !ok || raw == "" {
			raw = ""
		}
		u.RawPath = raw
	}
}

// modifyResponse runs when the upstream's headers arrive: it notes their
// arrival and releases a stream from the whole-request timer, then hands the
// response to the response stages (chain.go).
func (p *proxy) modifyResponse(res *http.Response) error {
	ex := exchangeFrom(res.Request.Context())
	ex.headers = time.Now()
	ex.status = res.StatusCode
	if isStream(res) {
		ex.timer.Stop()                                      // a stream's length is unbounded by design
		if res.StatusCode != http.StatusSwitchingProtocols { // an upgrade's body must stay a ReadWriteCloser
			res.Body = watchIdle(res.Body, ex.svc.policy.StreamIdleTimeout, ex)
		}
	}
	if err := p.g.chain.respond(res, ex); err != nil {
		return err
	}
	if !isStream(res) {
		handOver(ex.rec.Header(), res.Header)
	}
	return nil
}

// handOver moves the upstream's response header into the client's, as
// ReverseProxy's copyHeader would copy it next, but without a new slice per
// header: the values are the transport's, read for this response alone, and
// each is capped at its length so a later Add copies instead of writing
// past it. ReverseProxy then finds res.Header empty and copies nothing.
// A stream keeps the copy: ReverseProxy reads an upgrade's headers and an
// event stream's Content-Type after this point.
func handOver(dst, src http.Header) {
	for k, vv := range src {
		if old, ok := dst[k]; ok {
			dst[k] = append(old[:len(old):len(old)], vv...)
		} else {
			dst[k] = vv[:len(vv):len(vv)]
		}
		delete(src, k)
	}
}

// isStream reports responses whose length is unbounded by design: upgraded
// connections and server-sent events.
func isStream(res *http.Response) bool {
	return res.StatusCode == http.StatusSwitchingProtocols ||
		strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream")
}

// errorHandler answers when the upstream exchange failed before any response
// header reached the client.
func (p *proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	ex := exchangeFrom(r.Context())
	switch {
	case ex.body != nil && ex.body.err != nil:
		// The client's body failed, not the upstream: checked first, because a
		// read error also cancels the client's context (net/http connReader).
		err = bodyError(ex.body.err, ex.client.Err() != nil)
		if errors.Is(err, ErrClientGone) {
			ex.err = err
			return
		}
		ex.err = err
		status := ErrorStatus(err)
		p.g.log.Info("client request body failed", "service", ex.svc.name, "status", status,
			"err", ex.body.err, "request_id", ex.requestID)
		writeProblem(w, status, problemDetail(err), ex.svc.name, ex.requestID)
		return
	case ex.client.Err() != nil:
		err = ErrClientGone
	case context.Cause(r.Context()) == ErrUpstreamTimeout: //nolint:errorlint // sentinel
		err = ErrUpstreamTimeout
	}
	ex.err = err
	status := ErrorStatus(err)
	if status == StatusClientClosedRequest {
		return // nobody is listening; the access log and metrics record the 499
	}
	if ex.cache.serveStale(w, ex, err) {
		p.g.log.Info("upstream failed; a stored response answered", "service", ex.svc.name,
			"kind", errorKind(err), "err", err, "request_id", ex.requestID)
		return
	}
	p.g.log.Warn("upstream failed",
		"service", ex.svc.name, "instance", ex.up.Addr, "kind", errorKind(err),
		"status", status, "err", err, "request_id", ex.requestID)
	writeProblem(w, status, upstreamDetail(status), ex.svc.name, ex.requestID)
}

func upstreamDetail(status int) string {
	if status == http.StatusGatewayTimeout {
		return "the upstream did not answer in time"
	}
	return "the upstream could not be reached or sent an invalid response"
}

// bufferPool reuses ReverseProxy's 32 KiB copy buffers; without it every response
// allocates one (a bare ReverseProxy gains ~50% throughput from this alone).
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
