package httpcache

import "strings"

// Key returns the primary cache key of a request: method, scheme, host, path
// and query (RFC 9111 §2). The result reads like a request line,
// "GET https://example.com/a?b", so PurgePrefix can take a URL prefix.
//
// Normalisation, only where the upstream cannot tell the difference:
//   - HEAD shares GET's key (a stored GET answers a HEAD, §4.3.5);
//   - scheme and host are lower-cased; the scheme's default port is dropped;
//   - path and query are kept as sent, %XX escapes included: RFC 3986
//     §6.2.2.2 calls "/%31" and "/1" equivalent, but an upstream that does
//     not would be answered, for one, with what it said for the other (a
//     cache poisoning). Bytes that may not appear raw ('?', '#', space,
//     controls, non-ASCII, a stray '%') are written "%%XX", so no path can
//     forge the '?' separator or a host the '/', and none stands for the
//     escape "%XX" sent as such: the upstream does not take them for each
//     other either (net/http's ReverseProxy drops a query parameter with a
//     stray '%', and keeps "%25" as sent);
//   - an empty path becomes "/"; query parameter order is kept, since an
//     origin may care about it.
//
// The gateway rejects ambiguous paths (dot segments, encoded slashes) before
// the cache sees them, so Key does not resolve them.
func Key(method, scheme, host, path, rawQuery string) string {
	if method == "HEAD" {
		method = "GET"
	}
	scheme = strings.ToLower(scheme)
	host = strings.ToLower(host)
	host = dropDefaultPort(scheme, host)
	var b strings.Builder
	b.Grow(len(method) + len(scheme) + len(host) + len(path) + len(rawQuery) + 6)
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(scheme)
	b.WriteString("://")
	writeEscaped(&b, host, hostByte)
	if !strings.HasPrefix(path, "/") {
		b.WriteByte('/')
	}
	writeEscaped(&b, path, pathByte)
	if rawQuery != "" {
		b.WriteByte('?')
		writeEscaped(&b, rawQuery, queryByte)
	}
	return b.String()
}

// baseMark separates a key's URL from the base path its upstream was told
// (Based). A URL in a key holds no raw space, so the mark cannot be forged.
const baseMark = " base="

// Based returns key for a request whose upstream was told base as its base
// path (X-Forwarded-Prefix): a route that strips its prefix, or a trusted
// proxy's prefix. The upstream builds its links from it, so the same URL
// with two bases is two resources. The URL stays first, so a purge by URL
// prefix still finds the key.
func Based(key, base string) string {
	if base == "" {
		return key
	}
	var b strings.Builder
	b.WriteString(key)
	b.WriteString(baseMark)
	writeEscaped(&b, base, pathByte)
	return b.String()
}

// KeyURL returns the part of a key that names the URL: without the base
// that Based adds.
func KeyURL(key string) string {
	if i := strings.LastIndex(key, baseMark); i >= 0 {
		return key[:i]
	}
	return key
}

// dropDefaultPort removes ":80" for http and ":443" for https, and an empty
// port ("host:"), which RFC 3986 §6.2.3 makes equivalent to none.
func dropDefaultPort(scheme, host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.LastIndexByte(host, ']') > i {
		return host
	}
	switch port := host[i+1:]; {
	case port == "",
		port == "80" && scheme == "http",
		port == "443" && scheme == "https":
		return host[:i]
	}
	return host
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

// Byte classes that may stay raw in each component of the key.
func hostByte(c byte) bool {
	return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '[' || c == ']'
}
func pathByte(c byte) bool {
	return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@' || c == '/'
}
func queryByte(c byte) bool { return pathByte(c) || c == '?' }

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const upperHex = "0123456789ABCDEF"

// writeEscaped writes s with its valid escapes as sent and the bytes that
// may not appear raw as "%%XX", which no escape as sent can be.
func writeEscaped(b *strings.Builder, s string, raw func(byte) bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			_, ok1 := unhex(s[i+1])
			_, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteString(s[i : i+3]) // kept as sent: see Key
				i += 2
				continue
			}
		}
		if raw(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%%")
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}
