package authn

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Limits of forward authentication.
const (
	defaultForwardTimeout = 5 * time.Second
	maxDenialBody         = 64 << 10
)

// denialHeaders returns the auth service's response headers relayed to the
// client with a Denial: enough to challenge, redirect to a login page, set
// a session cookie or ask to retry, and nothing that describes the service.
func denialHeaders() [5]string {
	return [...]string{"Www-Authenticate", "Location", "Set-Cookie", "Content-Type", "Retry-After"}
}

// ForwardConfig configures forward authentication, as Traefik's ForwardAuth:
// each request is first shown to an external auth service, whose 2xx admits
// it and whose other answers are relayed to the client.
type ForwardConfig struct {
	// URL of the auth service; required, http or https. It is asked with a
	// GET and no body, and redirects are never followed.
	URL string
	// RequestHeaders are the client headers sent on to the auth service.
	// Empty means Authorization and Cookie.
	RequestHeaders []string
	// ResponseHeaders are the auth service's 2xx response headers copied to
	// Identity.Header, and so upstream. Empty means none.
	ResponseHeaders []string
	// ConsumerHeader, when set, names the auth service's response header
	// whose value becomes Identity.Consumer; "" leaves Consumer empty.
	ConsumerHeader string
	// Timeout bounds one whole exchange with the auth service, body
	// included. 0 means 5s; negative is invalid.
	Timeout time.Duration
	// Client talks to the auth service. Nil means a client with a transport
	// of the verifier's own, closed by Close. Redirects are never followed,
	// even with a given Client.
	Client *http.Client
}

// Denial is the auth service's non-2xx answer, to be relayed to the client.
type Denial struct {
	Status int
	Header http.Header // WWW-Authenticate, Location, Set-Cookie, Content-Type and Retry-After only
	Body   []byte      // at most 64 KiB
}

// Forward asks an external auth service about each request. It is safe for
// concurrent use; Close it when done.
type Forward struct {
	url            string
	reqHeaders     []string // canonical
	respHeaders    []string // canonical
	consumerHeader string
	timeout        time.Duration
	client         *http.Client
	own            *http.Transport // nil when the caller gave the client
}

// NewForward validates cfg and returns a verifier.
func NewForward(cfg ForwardConfig) (*Forward, error) {
	if err := checkURL("URL", cfg.URL); err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: Timeout %v is negative", ErrConfig, cfg.Timeout)
	}
	reqHeaders := cfg.RequestHeaders
	if len(reqHeaders) == 0 {
		reqHeaders = []string{"Authorization", "Cookie"}
	}
	req, err := canonicalHeaders("RequestHeaders", reqHeaders)
	if err != nil {
		return nil, err
	}
	resp, err := canonicalHeaders("ResponseHeaders", cfg.ResponseHeaders)
	if err != nil {
		return nil, err
	}
	if cfg.ConsumerHeader != "" && !httpguts.ValidHeaderFieldName(cfg.ConsumerHeader) {
		return nil, fmt.Errorf("%w: ConsumerHeader %q is not a header name", ErrConfig, cfg.ConsumerHeader)
	}
	timeout := orDefault(cfg.Timeout, defaultForwardTimeout)
	var own *http.Transport
	if cfg.Client == nil {
		own = newTransport(timeout)
	}
	return &Forward{
		url:            cfg.URL,
		reqHeaders:     req,
		respHeaders:    resp,
		consumerHeader: cfg.ConsumerHeader,
		timeout:        timeout,
		client:         noRedirects(cfg.Client, own, 0), // the context carries the timeout
		own:            own,
	}, nil
}

// canonicalHeaders validates header names and returns their canonical forms.
func canonicalHeaders(field string, names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !httpguts.ValidHeaderFieldName(n) {
			return nil, fmt.Errorf("%w: %s: %q is not a header name", ErrConfig, field, n)
		}
		if c := http.CanonicalHeaderKey(n); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Verify asks the auth service about r. It returns an Identity when the
// service answers 2xx, a Denial to relay when it answers anything else (3xx
// included: a redirect to a login page is the client's to follow), and an
// *Error with Reason "unavailable" and Status 503 when the service cannot be
// reached or does not answer within the timeout. The request body of r is
// never read or sent.
//
// The X-Forwarded-Method, -Proto, -Host and -Uri headers describe r itself
// (Proto from r.TLS, Host from r.Host, Uri from r.URL, path and query);
// X-Forwarded-For is copied from r's header, where the gateway has set it.
func (f *Forward) Verify(ctx context.Context, r *http.Request) (Identity, *Denial, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return Identity{}, nil, unavailable(ReasonUnavailable, "the auth service cannot be asked", err)
	}
	for _, h := range f.reqHeaders {
		if vs := r.Header.Values(h); len(vs) > 0 {
			req.Header[h] = slices.Clone(vs)
		}
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	req.Header.Set("X-Forwarded-Method", r.Method)
	req.Header.Set("X-Forwarded-Proto", proto)
	req.Header.Set("X-Forwarded-Host", r.Host)
	req.Header.Set("X-Forwarded-Uri", r.URL.RequestURI())
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		req.Header["X-Forwarded-For"] = slices.Clone(xff)
	}

	resp, err := f.client.Do(req)
	if err != nil {
		return Identity{}, nil, unavailable(ReasonUnavailable, "the auth service did not answer", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// Read a little of the body so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDenialBody))
		id := Identity{Method: MethodForward, Header: http.Header{}}
		for _, h := range f.respHeaders {
			if vs := resp.Header.Values(h); len(vs) > 0 {
				id.Header[h] = slices.Clone(vs)
			}
		}
		if f.consumerHeader != "" {
			id.Consumer = resp.Header.Get(f.consumerHeader)
		}
		return id, nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDenialBody))
	if err != nil {
		return Identity{}, nil, unavailable(ReasonUnavailable, "the auth service's answer was cut short", err)
	}
	d := &Denial{Status: resp.StatusCode, Header: http.Header{}, Body: body}
	for _, h := range denialHeaders() {
		if vs := resp.Header.Values(h); len(vs) > 0 {
			d.Header[h] = slices.Clone(vs)
		}
	}
	return Identity{}, d, nil
}

// Close drops the idle connections of the verifier's own transport.
func (f *Forward) Close() {
	if f.own != nil {
		f.own.CloseIdleConnections()
	}
}
