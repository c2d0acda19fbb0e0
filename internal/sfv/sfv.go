// Package sfv writes the two bare items of RFC 9651 Structured Field Values
// that bulwark's response headers use: strings and tokens (Cache-Status,
// RFC 9211; RateLimit and RateLimit-Policy, the IETF ratelimit-headers
// draft). It writes, never parses. A general library (github.com/dunglas/
// httpsfv, which the tests check this package against on a hostile corpus)
// builds a tree of values per header; these headers are written on every
// response of a cached or limited route, so bulwark writes the few bytes
// itself.
package sfv

import "strings"

// WriteString writes s as an sf-string (RFC 9651 §3.3.3). A byte an
// sf-string cannot carry (a control character, or one outside ASCII)
// becomes '?', so a hostile value never yields a malformed field.
func WriteString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// String is WriteString's result as a string.
func String(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	WriteString(&b, s)
	return b.String()
}

// WriteItem writes s as an sf-token when it is one, else as an sf-string.
func WriteItem(b *strings.Builder, s string) {
	if IsToken(s) {
		b.WriteString(s)
		return
	}
	WriteString(b, s)
}

// IsToken reports whether s is an sf-token (RFC 9651 §3.3.4).
func IsToken(s string) bool {
	if s == "" || !(isAlpha(s[0]) || s[0] == '*') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isTchar(c) || c == ':' || c == '/') {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isTchar(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
