package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// proxy wraps one httputil.ReverseProxy shared by all routes. The instance for a
// request travels in the request's context (the exchange), so Rewrite, the
// transport's dialer, ModifyResponse and ErrorHandler all see the same record.
type proxy struct {
	g  *Gateway
	rp *httputil.ReverseProxy
	// transport is swapped when the transport config changes; the old one's idle
	// connections are closed, its in-flight requests finish.
	transport atomic.Pointer[http.Transport]
	tcfg      TransportConfig
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
	p.transport.Store(newTransport(TransportConfig{}))
	return p
}

// configure installs a transport for cfg unless it is unchanged. Callers hold g.mu.
func (p *proxy) configure(cfg TransportConfig) {
	if cfg == p.tcfg {
		return
	}
	p.tcfg = cfg
	old := p.transport.Swap(newTransport(cfg))
	old.CloseIdleConnections()
}

// newTransport sizes the upstream pool for a gateway rather than a client: Go's
// default of 2 idle connections per host makes a busy proxy open and close a
// connection per request and run out of ports (go#13801). Dial timeouts come from
// each service's policy (see dial); TLS to upstreams arrives with the TLS issue.
func newTransport(cfg TransportConfig) *http.Transport {
	perHost := cfg.MaxIdleConnsPerHost
	if perHost <= 0 {
		perHost = 512
	}
	idle := cfg.IdleConnTimeout
	if idle <= 0 {
		idle = 90 * time.Second
	}
	maxHdr := cfg.MaxResponseHeaderBytes
	if maxHdr <= 0 {
		maxHdr = 1 << 20
	}
	return &http.Transport{
		DialContext:            dial,
		MaxIdleConns:           0, // no global cap; the per-host cap bounds each instance
		MaxIdleConnsPerHost:    perHost,
		IdleConnTimeout:        idle,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  1 * time.Second,
		MaxResponseHeaderBytes: maxHdr,
		ForceAttemptHTTP2:      false, // upstream HTTP/2 is opt-in per service (TLS issue)
	}
}

var dialer = &net.Dialer{KeepAlive: 30 * time.Second}

// dial connects with the connect timeout of the request's service.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	timeout := 2 * time.Second
	if ex := exchangeFrom(ctx); ex != nil && ex.svc != nil {
		timeout = ex.svc.policy.ConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return dialer.DialContext(ctx, network, addr)
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (p *proxy) roundTrip(r *http.Request) (*http.Response, error) {
	return p.transport.Load().RoundTrip(r)
}

// serve proxies the request to ex.up under the service's timeouts: the timer first
// bounds the wait for response headers (try_timeout), then the rest of the whole
// request (timeout); streams are released from it once their headers arrive.
func (p *proxy) serve(w http.ResponseWriter, r *http.Request, ex *exchange) {
	pol := ex.svc.policy
	ctx, cancel := context.WithCancelCause(r.Context())
	ex.cancel, ex.upstream = cancel, ctx
	try := pol.TryTimeout
	if try <= 0 || try > pol.Timeout { // 0 means the whole Timeout (policies.Defaults)
		try = pol.Timeout
	}
	ex.timer = time.AfterFunc(try, func() { cancel(ErrUpstreamTimeout) })
	defer func() {
		ex.timer.Stop()
		cancel(nil)
	}()
	ctx = context.WithValue(ctx, exchangeKey{}, ex)

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
	}
	ex.up.Acquire()
	defer ex.up.Release()
	p.rp.ServeHTTP(w, out)
}

// rewrite builds the outbound request. ReverseProxy has already removed hop-by-hop
// headers (and any header named in Connection) and the inbound Forwarded and
// X-Forwarded-For/Host/Proto, so the headers set here reach the upstream intact
// whatever the client put in Connection (USERS.md case 8).
func (p *proxy) rewrite(pr *httputil.ProxyRequest) {
	ex := exchangeFrom(pr.In.Context())
	out := pr.Out
	pr.SetURL(ex.up.url)
	if ex.route.StripPrefix && ex.route.prefix != "" {
		stripPrefix(out, ex.route.prefix)
	}
	setForwarded(pr, ex)
	out.Header.Set("X-Request-Id", ex.requestID)
	ex.sentAt = time.Now()
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

// modifyResponse runs when the upstream's headers arrive.
func (p *proxy) modifyResponse(res *http.Response) error {
	ex := exchangeFrom(res.Request.Context())
	ex.headers = time.Now()
	if ex.timer.Stop() && !isStream(res) {
		// The rest of the whole-request budget now bounds the body.
		if rest := ex.svc.policy.Timeout - ex.headers.Sub(ex.start); rest > 0 {
			ex.timer.Reset(rest)
		} else {
			ex.cancel(ErrUpstreamTimeout)
		}
	}
	h := res.Header
	h.Add("Server-Timing", serverTiming(ex))
	h.Set("X-Request-Id", ex.requestID)
	return nil
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
