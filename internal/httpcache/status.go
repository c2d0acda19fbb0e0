package httpcache

import (
	"strconv"
	"strings"
	"time"
)

// CacheStatus builds one member of a Cache-Status field value (RFC 9211),
// e.g. `bulwark; hit; ttl=37` or `bulwark; fwd=miss; stored`. The zero
// value with a Name formats as a bare name. Values that are not valid
// structured-field tokens are written as sf-strings.
type CacheStatus struct {
	Name      string        // the cache's identifier, e.g. "bulwark"
	Hit       bool          // served from cache without going forward (§2.1)
	Fwd       string        // why the request went forward: bypass, method, uri-miss, vary-miss, miss, request, stale, partial (§2.2)
	FwdStatus int           // status the next hop returned, when forwarded (§2.3)
	TTL       time.Duration // remaining freshness, may be negative (§2.4); used when HasTTL
	HasTTL    bool
	Stored    bool   // the forwarded response was stored (§2.5)
	Collapsed bool   // the request was coalesced with another (§2.6)
	Key       string // the cache key, if worth exposing (§2.7)
	Detail    string // implementation detail, e.g. "stale-if-error" (§2.8)
}

// String formats the member.
func (c CacheStatus) String() string {
	var b strings.Builder
	writeItem(&b, c.Name)
	if c.Hit {
		b.WriteString("; hit")
	}
	if c.Fwd != "" {
		b.WriteString("; fwd=")
		writeItem(&b, c.Fwd)
	}
	if c.FwdStatus != 0 {
		b.WriteString("; fwd-status=")
		b.WriteString(strconv.Itoa(c.FwdStatus))
	}
	if c.HasTTL {
		b.WriteString("; ttl=")
		b.WriteString(strconv.FormatInt(int64(c.TTL/time.Second), 10))
	}
	if c.Stored {
		b.WriteString("; stored")
	}
	if c.Collapsed {
		b.WriteString("; collapsed")
	}
	if c.Key != "" {
		b.WriteString("; key=")
		writeString(&b, c.Key)
	}
	if c.Detail != "" {
		b.WriteString("; detail=")
		writeItem(&b, c.Detail)
	}
	return b.String()
}

// writeItem writes s as an sf-token if it is one, else as an sf-string.
func writeItem(b *strings.Builder, s string) {
	if isToken(s) {
		b.WriteString(s)
		return
	}
	writeString(b, s)
}

// isToken reports whether s is an RFC 8941 §3.3.4 token.
func isToken(s string) bool {
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

// writeString writes an RFC 8941 §3.3.3 sf-string; bytes outside printable
// ASCII, which it cannot carry, become '?'.
func writeString(b *strings.Builder, s string) {
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
