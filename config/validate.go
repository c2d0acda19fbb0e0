package config

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Validate checks the whole file and returns every problem found, as Problems,
// each located at the value it is about (or, for a missing key, at the mapping
// that lacks it). It is pure and fast: it reads no files and resolves no names, so
// `bulwark check` and a reload give the same answer on any machine.
func (f *File) Validate() error { return f.validate(nil, nil) }

// validate is Validate leaving out the values at (or under, or above) the paths
// in skip, which failed to decode, and not calling the keys in suggested
// missing: each is what a misspelled key was most likely meant to be, and the
// misspelling is the one mistake to report.
func (f *File) validate(skip, suggested []string) error {
	c := &checker{f: f, skip: skip, suggested: suggested}
	c.listeners()
	c.tlsBlock()
	c.portal()
	c.admin()
	c.log()
	c.limits()
	c.staticServices()
	c.consul()
	c.routes()
	c.policies()
	c.serviceReferences()
	c.admission()
	return asError(c.probs)
}

// checker collects the problems of one Validate call.
type checker struct {
	f         *File
	probs     Problems
	skip      []string
	suggested []string
}

// missing reports that the key at path is required, unless a misspelled key
// next to it was already reported as most likely being it. at is where the
// problem is reported: the key itself, or the mapping that lacks it.
func (c *checker) missing(path, at, format string, args ...any) {
	if slices.Contains(c.suggested, path) {
		return
	}
	c.report(at, format, args...)
}

// failed reports whether the value at path, or one inside it, failed to
// decode: what it holds is a zero, not what the file says, so a check that
// compares it with another value would report a problem the file does not have.
func (c *checker) failed(path string) bool {
	for _, s := range c.skip {
		if pathWithin(s, path) {
			return true
		}
	}
	return false
}

// report records a problem about the value at path.
func (c *checker) report(path, format string, args ...any) {
	for _, s := range c.skip {
		if pathWithin(path, s) || pathWithin(s, path) {
			return
		}
	}
	p := c.f.at(path)
	c.probs = append(c.probs, Problem{
		File: c.f.name, Line: p.line, Column: p.col,
		Msg: where(path) + ": " + fmt.Sprintf(format, args...),
	})
}

// atLine says where the value at path is, for messages that name a second place
// ("already listed at line 7"); it is empty when positions are unknown.
func (c *checker) atLine(path string) string {
	if l := c.f.at(path).line; l > 0 {
		return fmt.Sprintf(" at line %d", l)
	}
	return ""
}

func (c *checker) listeners() {
	if h := c.f.Listen.HTTP; h != nil && *h != "" {
		if err := checkListenAddr(*h); err != nil {
			c.report("listen.http", "%v", err)
		}
	}
	if a := c.f.Admin.Listen; a != nil && *a != "" {
		if err := checkListenAddr(*a); err != nil {
			c.report("admin.listen", "%v", err)
		}
	}
	if http, admin := c.f.HTTPAddr(), c.f.AdminAddr(); http != "" && http == admin && !strings.HasSuffix(http, ":0") {
		c.report("admin.listen", "%s is also the gateway's listen.http address", admin)
	}
}

func (c *checker) admin() {
	a := c.f.Admin
	if a.Token != "" && a.TokenFile != "" {
		c.report("admin.token_file", "set admin.token or admin.token_file, not both")
	}
	switch {
	case a.WriteToken != "" && a.WriteToken == a.Token:
		c.report("admin.write_token", "must differ from admin.token: whoever may read could then write")
	case a.WriteToken != "" && len(a.WriteToken) < 16:
		c.report("admin.write_token", "is too short to be a secret (at least 16 characters)")
	}
	addr := c.f.AdminAddr()
	if addr == "" || a.Token != "" || a.TokenFile != "" || checkListenAddr(addr) != nil {
		return
	}
	if host, _, _ := net.SplitHostPort(addr); !isLoopback(host) {
		c.report("admin.listen", "%s is reachable from other machines, so admin.token or admin.token_file is required", addr)
	}
}

func (c *checker) log() {
	switch c.f.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		c.report("log.level", "unknown level %q (want debug, info, warn or error)", c.f.Log.Level)
	}
	switch c.f.Log.Format {
	case "", "text", "json":
	default:
		c.report("log.format", "unknown format %q (want text or json)", c.f.Log.Format)
	}
}

// limits checks the server, shutdown and upstream sizes and durations. Zero
// means "the default" for all of them, so only negative values are wrong.
func (c *checker) limits() {
	s, sh, u := c.f.Server, c.f.Shutdown, c.f.Upstream
	durations := []struct {
		path string
		d    Duration
	}{
		{"server.read_header_timeout", s.ReadHeaderTimeout},
		{"server.read_timeout", s.ReadTimeout},
		{"server.write_timeout", s.WriteTimeout},
		{"server.idle_timeout", s.IdleTimeout},
		{"shutdown.drain_delay", sh.DrainDelay},
		{"shutdown.grace", sh.Grace},
		{"upstream.idle_conn_timeout", u.IdleConnTimeout},
	}
	for _, x := range durations {
		if x.d < 0 {
			c.report(x.path, "must not be negative, got %v", x.d)
		}
	}
	sizes := []struct {
		path string
		n    int64
	}{
		{"server.max_header_bytes", int64(s.MaxHeaderBytes)},
		{"upstream.max_idle_conns_per_host", int64(u.MaxIdleConnsPerHost)},
		{"upstream.max_response_header_bytes", u.MaxResponseHeaderBytes},
	}
	for _, x := range sizes {
		if x.n < 0 {
			c.report(x.path, "must not be negative, got %d", x.n)
		}
	}
	for i, p := range s.TrustedProxies {
		if _, err := parseTrustedProxy(p); err != nil {
			c.report(indexPath("server.trusted_proxies", i), "%v", err)
		}
	}
}

// parseTrustedProxy reads a CIDR, or a single IP as a prefix of one address.
func parseTrustedProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a CIDR such as 10.0.0.0/8", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// checkListenAddr accepts host:port where the host may be empty (every
// interface) and the port may be 0 (any free port, useful in tests).
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%q: port %q is not a number in 0..65535", addr, port)
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err != nil && !validHostname(strings.ToLower(host)) {
		return fmt.Errorf("%q: host %q is not an IP address or a hostname", addr, host)
	}
	return nil
}

// isLoopback reports whether a listener host accepts only local connections.
// An empty host listens on every interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// pathWithin reports whether path is base or a value inside it ("routes[1].path"
// is within "routes[1]" and "routes").
func pathWithin(path, base string) bool {
	if !strings.HasPrefix(path, base) {
		return false
	}
	rest := path[len(base):]
	return rest == "" || base == "" || rest[0] == '.' || rest[0] == '['
}
