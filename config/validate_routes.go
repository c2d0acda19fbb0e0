package config

import (
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/policies"
)

// routes checks each route on its own, then that no two routes match exactly the
// same requests: the second could never be chosen, which is always a mistake
// (usually a copy-paste that forgot to change a field).
func (c *checker) routes() {
	matches := map[string]string{} // normalized match key -> path of the first route
	firstPath := map[string]string{}
	names := map[string]string{}
	for i, r := range c.f.Routes {
		p := indexPath("routes", i)
		if r.Service == "" {
			c.missing(p+".service", p, "service is required")
		}
		for _, k := range policies.Keys() {
			if v, set := r.more[k.Name]; set {
				if err := k.Check(v); err != nil {
					c.report(p+"."+k.Name, "%v", err)
				}
			}
		}
		if r.Name != "" {
			if first, dup := names[r.Name]; dup {
				c.report(p+".name", "%q is already the name of %s%s", r.Name, first, c.atLine(first))
			} else {
				names[r.Name] = p
			}
		}
		key, ok := c.routeMatch(p, r)
		if !ok {
			continue
		}
		if first, dup := matches[key]; dup {
			same := ""
			if fp := firstPath[key]; fp != r.Path && fp != "" && r.Path != "" {
				// The table drops a trailing slash: "/pets/" is "/pets".
				same = fmt.Sprintf(" (%q and %q are one prefix: a trailing slash makes no difference)", fp, r.Path)
			}
			c.report(p, "duplicates %s%s: same host, path, methods and headers%s", first, c.atLine(first), same)
			continue
		}
		matches[key] = p
		firstPath[key] = r.Path
	}
}

// routeMatch checks the fields that decide which requests a route matches and
// returns them normalized as the gateway's route table matches them (host
// lower-cased, the path by gateway.PathPrefix, so "/pets/" is "/pets" and "/"
// is "", methods as a sorted set, header names canonical), or false when any
// of them is invalid.
func (c *checker) routeMatch(p string, r Route) (string, bool) {
	ok := true
	fail := func(path, format string, args ...any) {
		c.report(path, format, args...)
		ok = false
	}
	if err := checkHost(r.Host); err != nil {
		fail(p+".host", "%v", err)
	}
	if err := checkPath(r.Path); err != nil {
		fail(p+".path", "%v", err)
	}
	methods := map[string]bool{}
	for j, m := range r.Methods {
		mp := indexPath(p+".methods", j)
		switch {
		case !isToken(m):
			fail(mp, "%q is not an HTTP method", m)
		case m != strings.ToUpper(m):
			fail(mp, "%q must be upper case (%q)", m, strings.ToUpper(m))
		case methods[m]:
			fail(mp, "%q is listed twice", m)
		}
		methods[m] = true
	}
	headers := map[string]string{} // canonical name -> value
	for _, name := range slices.Sorted(maps.Keys(r.Headers)) {
		hp := keyPath(p+".headers", name)
		value := r.Headers[name]
		canon := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case !isToken(name):
			fail(hp, "%q is not a valid header name", name)
		case strings.ContainsAny(value, "\r\n\x00"):
			fail(hp, "the value must not contain CR, LF or NUL")
		}
		if _, dup := headers[canon]; dup {
			fail(hp, "header %q is listed twice (names are case-insensitive)", canon)
		}
		headers[canon] = value
	}
	if !ok {
		return "", false
	}
	path := gateway.PathPrefix(r.Path)
	var b strings.Builder
	fmt.Fprintf(&b, "%q %q", strings.ToLower(r.Host), path)
	for _, m := range slices.Sorted(maps.Keys(methods)) {
		fmt.Fprintf(&b, " %s", m)
	}
	b.WriteString(" |")
	for _, h := range slices.Sorted(maps.Keys(headers)) {
		fmt.Fprintf(&b, " %s=%s", h, strconv.Quote(headers[h]))
	}
	return b.String(), true
}

// checkPath accepts a path prefix as the gateway compares it with the request's
// cleaned, decoded path: so a prefix holding "." or ".." segments, "//", an
// escape, a query or a fragment could never match and is refused. Empty matches
// every path, like "/". (".." inside a segment, as in "/v1..v2", is an ordinary name.)
func checkPath(p string) error {
	if p == "" {
		return nil
	}
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q must start with \"/\"", p)
	}
	for _, bad := range []string{"//", "%", "?", "#"} {
		if strings.Contains(p, bad) {
			return fmt.Errorf("%q must not contain %q", p, bad)
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%q must not contain a %q segment", p, seg)
		}
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%q must not contain spaces or control characters", p)
		}
	}
	return nil
}

// checkHost accepts an exact hostname or a one-label wildcard "*.example.com",
// in any case (hosts are matched case-insensitively) and without a port (the
// gateway matches the host without it).
func checkHost(h string) error {
	if h == "" {
		return nil
	}
	name := strings.ToLower(h)
	if strings.Contains(name, ":") {
		return fmt.Errorf("%q must be a hostname without a port", h)
	}
	name, _ = strings.CutPrefix(name, "*.")
	if strings.Contains(name, "*") {
		return fmt.Errorf("%q: only a whole first label may be a wildcard, as in \"*.example.com\"", h)
	}
	if !validHostname(name) {
		return fmt.Errorf("%q is not a valid hostname", h)
	}
	return nil
}

// validHostname reports whether s (lower case) is a DNS name: dot-separated
// labels of 1 to 63 letters, digits and inner hyphens, 253 bytes at most.
func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			b := label[i]
			if !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-') {
				return false
			}
		}
	}
	return true
}

// isToken reports whether s is an RFC 9110 token, the syntax of methods and
// header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0) {
			return false
		}
	}
	return true
}
