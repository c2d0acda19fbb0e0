package authn

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// newTransport returns a transport owned by one verifier, with explicit
// limits, so its idle connections can be closed with the verifier (and
// goroutine-leak checks stay meaningful).
func newTransport(timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   32, // Go's default of 2 churns connections under load
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
}

// noRedirects returns a copy of c (or of a new client around t when c is
// nil) that never follows a redirect: the 3xx response itself is returned.
// A verifier talks only to the URL it was configured with.
func noRedirects(c *http.Client, t *http.Transport, timeout time.Duration) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	} else {
		out = http.Client{Transport: t, Timeout: timeout}
	}
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}

// checkURL reports whether raw is an absolute http or https URL with a host.
func checkURL(field, raw string) error {
	if raw == "" {
		return fmt.Errorf("%w: %s is required", ErrConfig, field)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: parsing %s: %w", ErrConfig, field, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %s %q is not an absolute http or https URL", ErrConfig, field, raw)
	}
	return nil
}
