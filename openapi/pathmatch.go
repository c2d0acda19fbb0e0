package openapi

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// The path matcher finds which path template of a document a request path
// belongs to, the way OpenAPI describes it and the gateway needs it for
// admission (issue 17):
//
//   - A template is the path part of a server URL followed by a path key:
//     "/api/v2" + "/pets/{id}". Server variables in the path ("/v{version}")
//     are parameters like any other.
//   - A parameter matches exactly one non-empty segment. The request path is
//     split on its literal slashes only, as sent (escaped): "%2F" inside a
//     segment stays inside it, so "/pets/a%2Fb" is one id, never two
//     segments.
//   - Literal segments are compared with the request's segment
//     percent-decoded: the service decodes "/%61dmin" to "/admin", and if
//     this matcher did not, that request would take a more permissive
//     template's ("/{page}") requirement and slip past "/admin"'s.
//   - Concrete beats templated, as the specification says ("/pets/mine"
//     over "/pets/{id}"): templates are ranked segment by segment from the
//     left, a literal over a segment mixing literals and parameters
//     ("{name}.{ext}") over a bare parameter; the first difference decides,
//     then the document's order.
//   - A trailing slash is a segment of its own: "/pets/" does not match
//     "/pets", nor "/pets" "/pets/", unless the template says so.

// segment is one segment of a path template.
type segment struct {
	lit   string   // a literal, compared with the request's decoded segment
	mixed []string // the literals around parameters in one segment ("{name}.{ext}": "", ".", ""), matched on the decoded segment
	param bool     // one whole parameter: any non-empty segment
}

// Segment ranks: what a template has at a segment decides which of two
// matching templates is the more specific.
const (
	rankParam = iota
	rankMixed
	rankLiteral
)

func (s segment) rank() int {
	switch {
	case s.param:
		return rankParam
	case s.mixed != nil:
		return rankMixed
	}
	return rankLiteral
}

// compileTemplate splits a path template ("/v2/pets/{id}") into segments.
// The leading slash is optional; everything after it counts, an empty last
// segment (a trailing slash) included.
func compileTemplate(tmpl string) []segment {
	parts := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
	out := make([]segment, len(parts))
	for i, p := range parts {
		out[i] = compileSegment(p)
	}
	return out
}

func compileSegment(p string) segment {
	open := strings.IndexByte(p, '{')
	if open < 0 || !strings.Contains(p[open:], "}") {
		return segment{lit: decoded(p)}
	}
	if open == 0 && strings.IndexByte(p, '}') == len(p)-1 && strings.Count(p, "{") == 1 {
		return segment{param: true}
	}
	var lits []string
	for {
		open := strings.IndexByte(p, '{')
		end := -1
		if open >= 0 {
			end = strings.IndexByte(p[open:], '}')
		}
		if end < 0 {
			return segment{mixed: append(lits, decoded(p))}
		}
		lits = append(lits, decoded(p[:open]))
		p = p[open+end+1:]
	}
}

// matchMixed reports whether s is the literals with one or more bytes in
// place of each parameter between them. Taking each middle literal at its
// leftmost place after at least one byte is never worse than a later
// place, so one pass decides; no regexp, whose compiler refuses the invalid
// UTF-8 a document or a fuzzer can put in a template.
func matchMixed(lits []string, s string) bool { return walkMixed(lits, s, nil) }

// walkMixed matches s against the literals of a mixed segment, each
// parameter between them taking at least one character, as few as it can,
// and hands each parameter's value to value when it is not nil (the
// contract's path parameters, splitMixed). One function for both, so the
// gateway's auth and its validation read a segment the same way.
func walkMixed(lits []string, s string, value func(string)) bool {
	if !strings.HasPrefix(s, lits[0]) {
		return false
	}
	pos := len(lits[0])
	for _, l := range lits[1 : len(lits)-1] {
		n := firstRune(s[pos:])
		if n == 0 {
			return false
		}
		i := strings.Index(s[pos+n:], l)
		if i < 0 {
			return false
		}
		if value != nil {
			value(s[pos : pos+n+i])
		}
		pos += n + i + len(l)
	}
	last := lits[len(lits)-1]
	n := firstRune(s[pos:])
	if n == 0 || !strings.HasSuffix(s, last) || len(s)-len(last) < pos+n {
		return false
	}
	if value != nil {
		value(s[pos : len(s)-len(last)])
	}
	return true
}

// firstRune is the length of s's first character (a parameter holds at
// least one, never part of one), 0 for an empty s; a byte that is not
// UTF-8 counts as one.
func firstRune(s string) int {
	if s == "" {
		return 0
	}
	_, n := utf8.DecodeRuneInString(s)
	return n
}

// decoded is a segment percent-decoded, or as written when it cannot be.
func decoded(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// splitPath splits a request path as sent ("/pets/a%2Fb") into its raw
// segments; ok is false for anything that is not an absolute path.
func splitPath(p string) ([]string, bool) {
	if !strings.HasPrefix(p, "/") {
		return nil, false
	}
	return strings.Split(p[1:], "/"), true
}

// matchSegments reports whether a request's raw segments fit a template.
func matchSegments(tmpl []segment, raw []string) bool {
	if len(tmpl) != len(raw) {
		return false
	}
	for i, s := range tmpl {
		switch {
		case s.param:
			if raw[i] == "" {
				return false
			}
		case s.mixed != nil:
			d, err := url.PathUnescape(raw[i])
			if err != nil || !matchMixed(s.mixed, d) {
				return false
			}
		default:
			if raw[i] == s.lit {
				continue
			}
			d, err := url.PathUnescape(raw[i])
			if err != nil || d != s.lit {
				return false
			}
		}
	}
	return true
}

// moreSpecific reports whether template a ranks before template b: at the
// first segment where they differ in kind, the more literal one wins.
func moreSpecific(a, b []segment) bool {
	for i := range min(len(a), len(b)) {
		if ra, rb := a[i].rank(), b[i].rank(); ra != rb {
			return ra > rb
		}
	}
	return false
}

// serverPath is the path part of a server URL, without its trailing slash:
// "https://gw.example.com/api/v2/" → "/api/v2", "/pets" → "/pets", "/" →
// "". It does not use url.Parse: a templated host ("https://{region}.x")
// does not parse, and only the path matters here.
func serverPath(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[j:]
		} else {
			s = ""
		}
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(s, "/")
	if s != "" && !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return s
}
