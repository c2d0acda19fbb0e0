package gateway

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The path rules. The route decision is made on r.URL.Path and the upstream
// receives that same path (minus a stripped prefix), so a path is accepted only
// when every common way of reading it agrees with the gateway's. Upstreams differ:
// Tomcat, Jetty and Spring drop matrix parameters (";...") from a segment before
// resolving dot segments ("/..;/" is "/../"), some frameworks decode twice
// ("%252e" is "."), Windows servers treat "\" as "/" and ignore trailing dots and
// spaces, and lenient UTF-8 decoders read overlong forms ("%c0%ae") as ASCII.
// A path one of them would read as leaving its segment is refused, never cleaned:
// cleaning would route on a path the client did not send.

// maxDecodeRounds bounds the repeated percent-decoding that finds double- and
// triple-encoded dots and separators.
const maxDecodeRounds = 3

// forbiddenEscapes are percent-encodings of characters that change a path's
// structure when an upstream decodes them.
var forbiddenEscapes = [...]string{"2f", "5c", "00", "3b", "3f", "23"}

// checkPath returns why the path must be refused, or "". escaped is the path as
// the client wrote it; decoded is net/http's reading of it.
func checkPath(escaped, decoded string) string {
	if reason := checkEscapes(escaped); reason != "" {
		return reason
	}
	for i := 0; i < len(decoded); i++ {
		switch c := decoded[i]; {
		case c == '\\':
			return "the path contains a backslash"
		case c < 0x20 || c == 0x7f:
			return "the path contains a control character"
		}
	}
	if !utf8.ValidString(decoded) {
		return "the path is not valid UTF-8 (overlong or broken sequences are read differently by different servers)"
	}
	return checkSegments(decoded)
}

// checkEscapes refuses encoded separators and controls in the path as written.
func checkEscapes(escaped string) string {
	for i := strings.IndexByte(escaped, '%'); i >= 0; {
		if i+2 < len(escaped) {
			code := strings.ToLower(escaped[i+1 : i+3])
			for _, f := range forbiddenEscapes {
				if code == f {
					return "the path contains an encoded separator or control character (%" + code + ")"
				}
			}
		}
		next := strings.IndexByte(escaped[i+1:], '%')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return ""
}

// checkSegments refuses dot segments, empty segments, and segments that are
// either of those to some upstream's reading (see segmentReadings).
func checkSegments(p string) string {
	rest := p[1:]
	for {
		seg, tail, more := strings.Cut(rest, "/")
		if seg == "" && more {
			return "the path contains an empty segment (//)"
		}
		if reason := checkSegment(seg, more); reason != "" {
			return reason
		}
		if !more {
			return ""
		}
		rest = tail
	}
}

// checkSegment applies the segment rules to one decoded segment; more is true
// when a segment follows it.
func checkSegment(seg string, more bool) string {
	if seg == "." || seg == ".." {
		return "the path contains a dot segment"
	}
	nonASCII := hasNonASCII(seg)
	if !strings.ContainsAny(seg, ".;% ") && !nonASCII {
		return "" // the common case: nothing any reading could change
	}
	for round := 0; round <= maxDecodeRounds; round++ {
		if reason := checkName(seg, more, "once its matrix parameters, encoding or trailing spaces are removed"); reason != "" {
			return reason
		}
		if nonASCII || hasNonASCII(seg) {
			if reason := checkNormalized(seg, more); reason != "" {
				return reason
			}
		}
		if strings.IndexByte(seg, '%') < 0 {
			return ""
		}
		next, ok := unescapeOnce(seg)
		if !ok {
			return ""
		}
		if strings.ContainsAny(next, "/\\") || strings.IndexByte(next, 0) >= 0 {
			return "the path contains a double-encoded separator"
		}
		if !utf8.ValidString(next) {
			return "the path contains double-encoded bytes that are not valid UTF-8"
		}
		seg = next
	}
	return "the path is encoded more than " + string(rune('0'+maxDecodeRounds)) + " times"
}

// checkName applies the name rules to one reading of a segment: its name
// (matrix parameters are not part of it) must not be a dot segment, nor empty
// once trailing spaces are dropped (as Windows does) unless it is the last.
// how says which reading it was, for the message.
func checkName(seg string, more bool, how string) string {
	name, _, _ := strings.Cut(seg, ";")
	switch {
	case isDotLike(name):
		return "the path contains a dot segment " + how
	case strings.TrimRight(name, " ") == "" && more:
		return "the path contains a segment that is empty " + how
	}
	return ""
}

// isDotLike reports a name made only of dots, and the spaces Windows ignores
// after them: ".", "..", "...", ". ".
func isDotLike(name string) bool {
	if name == "" || name[0] != '.' {
		return false
	}
	return strings.Trim(name, ". ") == ""
}

// hasNonASCII reports whether s has a byte that Unicode normalisation might
// fold into ASCII.
func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// checkNormalized reads a segment as a server that applies Unicode NFKC
// normalisation would: "．．" (fullwidth full stops) is "..", "‥" is "..",
// "／" (fullwidth solidus) is "/". Such a segment is refused when that reading
// is a dot segment or holds a separator, and by the same name rules as every
// other reading (checkName): " " (an en space) normalises to a space, which
// a server that drops trailing spaces reads as an empty segment.
func checkNormalized(seg string, more bool) string {
	n := norm.NFKC.String(seg)
	if strings.ContainsAny(n, "/\\") {
		return "the path contains a Unicode character that normalises to a separator"
	}
	return checkName(n, more, "once Unicode-normalised (NFKC)")
}

// unescapeOnce percent-decodes s once, as a lenient server would; ok is false
// when s holds no valid escape (nothing would change).
func unescapeOnce(s string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			changed = true
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), changed
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// matchesWithoutMatrix reports whether r, read without its matrix parameters
// (as Tomcat, Jetty and Spring read it), takes the route rt too. Otherwise
// "/admin;x/delete" would take a catch-all route while the upstream serves
// "/admin/delete", past the methods (and any other rule) of the "/admin" route.
func matchesWithoutMatrix(t *table, r *http.Request, rt *route) bool {
	p := r.URL.Path
	if strings.IndexByte(p, ';') < 0 {
		return true
	}
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i], _, _ = strings.Cut(seg, ";")
	}
	plain := *r
	u := *r.URL
	u.Path, u.RawPath = strings.Join(segs, "/"), ""
	plain.URL = &u
	other, err := t.Match(&plain)
	return err == nil && other == rt
}
