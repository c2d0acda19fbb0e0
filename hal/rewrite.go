package hal

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Rewriter points the links of an instance's document at the gateway. The
// catalog fetches documents from instances directly, and their links name the
// instance ("http://10.0.0.7:9101/books/1"). A browser cannot reach that
// address, and the address should not be shown. Through a route /library that
// strips its prefix, the link becomes "https://api.example.com/library/books/1".
type Rewriter struct {
	// From are the instance origins whose links are rewritten, such as
	// "http://127.0.0.1:9101": a scheme and a host with an optional port, and
	// nothing else. Scheme and host compare without case, and a default port is
	// the same as no port.
	From []string
	// To is the gateway's public base, such as "https://api.example.com". It may
	// also be a path ("/" or ""), which gives links relative to the gateway's
	// origin, for a portal served on the gateway itself.
	To string
	// StripPrefix is the route's path when the route strips it before proxying
	// ("/library"). It is put back between To and the instance's path. Leave it
	// empty when the route forwards the whole path.
	StripPrefix string
}

// RewriteOrigins rewrites every href in doc that points at one of the instance
// origins in from to the gateway URL: to, then stripPrefix, then the href's
// path, query and fragment (see Rewriter). It covers links at every level of
// _embedded, curies, the deprecation and profile URLs of links, and HAL-FORMS
// targets and option links. Relative links and links to other hosts are left
// alone, so a second run rewrites nothing. It returns how many URLs changed, and
// 0 when the arguments are invalid (see Rewriter.Validate).
func RewriteOrigins(doc *Document, from []string, to, stripPrefix string) int {
	return Rewriter{From: from, To: to, StripPrefix: stripPrefix}.Rewrite(doc)
}

// Validate reports arguments that Rewrite would refuse. To must not be one of
// the From origins, or rewriting would not be idempotent.
func (r Rewriter) Validate() error {
	var errs []error
	origins := map[string]bool{}
	for _, o := range r.From {
		n, err := normalizeOrigin(o)
		if err != nil {
			errs = append(errs, err)
		}
		origins[n] = true
	}
	switch {
	case r.To == "" || strings.HasPrefix(r.To, "/") && !strings.HasPrefix(r.To, "//"):
	default:
		u, err := url.Parse(r.To)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(r.To, "{}") {
			errs = append(errs, fmt.Errorf("gateway base %q: want an http(s) URL without query or fragment, or a path", r.To))
		} else if n, _ := normalizeOrigin(u.Scheme + "://" + u.Host); origins[n] {
			errs = append(errs, fmt.Errorf("gateway base %q is one of the instance origins", r.To))
		}
	}
	if p := r.StripPrefix; p != "" && (!strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") ||
		strings.ContainsAny(p, "?#{}\\ ")) {
		errs = append(errs, fmt.Errorf("strip prefix %q: want a path starting with /", p))
	}
	return errors.Join(errs...)
}

// Rewrite rewrites doc in place and returns how many URLs changed. It rewrites
// nothing when Validate fails.
func (r Rewriter) Rewrite(doc *Document) int {
	if doc == nil || r.Validate() != nil {
		return 0
	}
	rw := rewriting{origins: map[string]bool{}, base: strings.TrimRight(r.To, "/")}
	if p := strings.Trim(r.StripPrefix, "/"); p != "" {
		rw.base += "/" + p
	}
	for _, o := range r.From {
		n, _ := normalizeOrigin(o)
		rw.origins[n] = true
	}
	rw.document(doc)
	return rw.n
}

type rewriting struct {
	origins map[string]bool
	base    string
	n       int
	walk    docWalk
	done    map[*Document]bool // rewritten already: a document embedded twice changes once
}

// document rewrites d and the documents it embeds, through a bounded walk: a
// document inside itself, or past the walk's depth or budget, is skipped.
func (rw *rewriting) document(d *Document) {
	if rw.done[d] || rw.walk.enter(d) != "" {
		return
	}
	defer rw.walk.leave()
	if rw.done == nil {
		rw.done = map[*Document]bool{}
	}
	rw.done[d] = true
	for _, ls := range d.Links {
		for i := range ls {
			rw.link(&ls[i])
		}
	}
	for _, docs := range d.Embedded {
		for _, e := range docs {
			if e != nil {
				rw.document(e)
			}
		}
	}
	for name, t := range d.Templates {
		rw.url(&t.Target)
		for _, p := range t.Properties {
			if p.Options != nil && p.Options.Link != nil {
				rw.link(p.Options.Link)
			}
		}
		d.Templates[name] = t
	}
}

func (rw *rewriting) link(l *Link) {
	rw.url(&l.Href)
	rw.url(&l.Deprecation)
	rw.url(&l.Profile)
}

// url rewrites *u when its origin is an instance's.
func (rw *rewriting) url(u *string) {
	scheme, host, rest, ok := splitOrigin(*u)
	if !ok {
		return
	}
	match := rw.origins[scheme+"://"+host]
	if scheme == "" { // "//host/path" takes the scheme of the document, an instance's
		match = rw.origins["http://"+stripPort(host, "80")] || rw.origins["https://"+stripPort(host, "443")]
	}
	if !match {
		return
	}
	if rest == "" || rest[0] == '?' || rest[0] == '#' {
		rest = "/" + rest
	}
	*u = rw.base + rest
	rw.n++
}

// splitOrigin splits an absolute or network-path URL (or URI template) into its
// lower-case scheme ("" for "//host"), its normalized host and port, and the
// rest. The authority ends where browsers end it, at "/", "\", "?" or "#", or at
// a template expression. Any userinfo is dropped.
func splitOrigin(s string) (scheme, host, rest string, ok bool) {
	after := s
	if scheme = strings.ToLower(schemeOf(s)); scheme != "" {
		after = s[len(scheme)+1:]
	}
	if !strings.HasPrefix(after, "//") || (scheme != "" && scheme != "http" && scheme != "https") {
		return "", "", "", false
	}
	after = after[2:]
	end := strings.IndexAny(after, "/\\?#{")
	if end < 0 {
		end = len(after)
	}
	auth, rest := after[:end], after[end:]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	if auth == "" {
		return "", "", "", false
	}
	auth = strings.ToLower(auth)
	switch scheme {
	case "http":
		auth = stripPort(auth, "80")
	case "https":
		auth = stripPort(auth, "443")
	}
	return scheme, auth, rest, true
}

// normalizeOrigin checks an instance origin and writes it the way splitOrigin
// does: "HTTP://Example.COM:80/" is "http://example.com".
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("instance origin %q: want scheme://host[:port]", o)
	}
	scheme, host, _, _ := splitOrigin(strings.TrimSuffix(o, "/"))
	return scheme + "://" + host, nil
}

// stripPort drops port from host:port when it is the given (default) one.
func stripPort(hostport, port string) string {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil || p != port {
		return hostport
	}
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}
