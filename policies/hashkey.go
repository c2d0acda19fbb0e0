package policies

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// HashKey says where a consistent-hash balancer finds a request's key.
type HashKey struct {
	// From is "header", "cookie" or "path".
	From string
	// Name is the header or cookie name.
	Name string
	// Segment is the 1-based path segment for From == "path".
	Segment int
}

// ParseHashKey parses "header:NAME", "cookie:NAME" or "path:N".
func ParseHashKey(s string) (HashKey, error) {
	k, why := parseHashKey(s)
	if why != "" {
		return HashKey{}, fmt.Errorf("hash_on %q: %s", s, why)
	}
	return k, nil
}

// parseHashKey is ParseHashKey saying why s is not a key, without naming s.
func parseHashKey(s string) (HashKey, string) {
	from, arg, ok := strings.Cut(s, ":")
	if !ok || arg == "" {
		return HashKey{}, "want header:NAME, cookie:NAME or path:N"
	}
	switch from {
	case "header", "cookie":
		return HashKey{From: from, Name: arg}, ""
	case "path":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return HashKey{}, "path segment must be a number from 1"
		}
		return HashKey{From: from, Segment: n}, ""
	default:
		return HashKey{}, fmt.Sprintf("unknown source %q (want header, cookie or path)", from)
	}
}

// Extract returns the request's key and whether it had one.
func (k HashKey) Extract(r *http.Request) (string, bool) {
	switch k.From {
	case "header":
		v := r.Header.Get(k.Name)
		return v, v != ""
	case "cookie":
		c, err := r.Cookie(k.Name)
		if err != nil || c.Value == "" {
			return "", false
		}
		return c.Value, true
	case "path":
		p := strings.TrimPrefix(r.URL.Path, "/")
		for i := 1; ; i++ {
			seg, rest, more := strings.Cut(p, "/")
			if i == k.Segment {
				return seg, seg != ""
			}
			if !more {
				return "", false
			}
			p = rest
		}
	}
	return "", false
}
