package httpcache

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// maxDelta is 2^31 seconds: RFC 9111 §1.2.2 says a delta-seconds value that
// overflows MUST be taken as 2147483648 (or the largest representable integer).
const maxDelta = 1 << 31

// Delta is a delta-seconds directive argument. The zero value means "absent".
// Valid is false when the directive was present with a missing or malformed
// argument; RFC 9111 §4.2.1 encourages treating such freshness information as
// stale, so callers check Valid before trusting Secs.
type Delta struct {
	Secs  int64 // clamped to [0, 2^31]
	Set   bool  // the directive appeared
	Valid bool  // its argument parsed as delta-seconds
}

// Duration returns Secs as a time.Duration.
func (d Delta) Duration() time.Duration { return time.Duration(d.Secs) * time.Second }

// Directives is the parsed union of all Cache-Control field lines of one
// message. Request and response directives share it; each caller reads the
// fields that apply to its side.
//
// Duplicates: the first occurrence of a valued directive wins (RFC 9111
// §4.2.1 allows "first occurrence" or "stale"; first is predictable). Flags are
// sticky, so a later "no-store" still counts: the most restrictive reading of
// conflicting directives wins, as §4.2.1 asks.
type Directives struct {
	NoStore, NoCache, Private, Public               bool
	MustRevalidate, ProxyRevalidate, MustUnderstand bool
	NoTransform, OnlyIfCached, Immutable            bool
	MaxStaleAny                                     bool // request "max-stale" without a value: any staleness
	NoCacheFields, PrivateFields                    []string
	MaxAge, SMaxAge, MaxStale, MinFresh             Delta
	StaleWhileRevalidate, StaleIfError              Delta
	// Targeted says the directives came from a targeted field
	// (ResponseDirectives): Expires then does not apply (RFC 9213 §2.1).
	Targeted bool
}

// ParseCacheControl parses every Cache-Control field line leniently: names are
// case-insensitive, arguments may be tokens or quoted strings, unknown
// directives (cache extensions) are ignored, and nothing panics.
func ParseCacheControl(values []string) Directives {
	var d Directives
	for _, line := range values {
		for len(line) > 0 {
			var name, arg string
			var hasArg bool
			name, arg, hasArg, line = nextDirective(line)
			d.apply(strings.ToLower(name), arg, hasArg)
		}
	}
	return d
}

// nextDirective splits one directive off s, honouring commas inside
// quoted-string arguments.
func nextDirective(s string) (name, arg string, hasArg bool, rest string) {
	s = strings.TrimLeft(s, " \t,")
	i := strings.IndexAny(s, "=,")
	if i < 0 {
		return strings.TrimSpace(s), "", false, ""
	}
	name = strings.TrimSpace(s[:i])
	if s[i] == ',' {
		return name, "", false, s[i+1:]
	}
	s = strings.TrimLeft(s[i+1:], " \t")
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		j := 1
		for ; j < len(s) && s[j] != '"'; j++ {
			if s[j] == '\\' && j+1 < len(s) {
				j++
			}
			b.WriteByte(s[j])
		}
		rest = s[min(j+1, len(s)):]
		if k := strings.IndexByte(rest, ','); k >= 0 {
			rest = rest[k+1:]
		} else {
			rest = ""
		}
		return name, b.String(), true, rest
	}
	if k := strings.IndexByte(s, ','); k >= 0 {
		return name, strings.TrimSpace(s[:k]), true, s[k+1:]
	}
	return name, strings.TrimSpace(s), true, ""
}

func (d *Directives) apply(name, arg string, hasArg bool) {
	switch name {
	case "no-store":
		d.NoStore = true
	case "no-cache":
		// A field list naming no valid field, or a field the cache's own
		// rules read (cacheFields), is read as unqualified: the most
		// restrictive reading of an argument we cannot honour.
		if n := len(d.NoCacheFields); hasArg {
			var own bool
			d.NoCacheFields, own = appendFields(d.NoCacheFields, arg)
			d.NoCache = d.NoCache || own || len(d.NoCacheFields) == n
		} else {
			d.NoCache = true
		}
	case "private":
		if n := len(d.PrivateFields); hasArg {
			var own bool
			d.PrivateFields, own = appendFields(d.PrivateFields, arg)
			d.Private = d.Private || own || len(d.PrivateFields) == n
		} else {
			d.Private = true
		}
	case "public":
		d.Public = true
	case "must-revalidate":
		d.MustRevalidate = true
	case "proxy-revalidate":
		d.ProxyRevalidate = true
	case "must-understand":
		d.MustUnderstand = true
	case "no-transform":
		d.NoTransform = true
	case "only-if-cached":
		d.OnlyIfCached = true
	case "immutable":
		d.Immutable = true
	case "max-age":
		setDelta(&d.MaxAge, arg, hasArg)
	case "s-maxage":
		setDelta(&d.SMaxAge, arg, hasArg)
	case "max-stale":
		if !hasArg {
			d.MaxStaleAny = true
			return
		}
		setDelta(&d.MaxStale, arg, hasArg)
	case "min-fresh":
		setDelta(&d.MinFresh, arg, hasArg)
	case "stale-while-revalidate":
		setDelta(&d.StaleWhileRevalidate, arg, hasArg)
	case "stale-if-error":
		setDelta(&d.StaleIfError, arg, hasArg)
	}
}

// appendFields adds the canonical header names of a field-name list,
// skipping members that are not tokens and so cannot name a field. own
// reports whether the list names one of cacheFields.
func appendFields(dst []string, list string) (_ []string, own bool) {
	for f := range strings.SplitSeq(list, ",") {
		if f = strings.TrimSpace(f); isFieldName(f) {
			f = http.CanonicalHeaderKey(f)
			dst = append(dst, f)
			own = own || cacheFields[f]
		}
	}
	return dst, own
}

// cacheFields are the fields the cache's own rules read (freshness, age,
// variants, validators, the targeted fields) and those that give the stored
// body its meaning. A qualified private or no-cache is honoured by leaving
// its fields out of the stored response (dropListed). These fields cannot be
// left out: the cache would then decide on what is left, so that
// no-cache="Cache-Control" with max-age=0 and a future Expires would be
// fresh for an hour. A list that names one is read as unqualified.
var cacheFields = map[string]bool{
	"Cache-Control": true, "Expires": true, "Age": true, "Date": true, "Pragma": true,
	"Vary": true, "Etag": true, "Last-Modified": true,
	"Bulwark-Cache-Control": true, "Cdn-Cache-Control": true,
	"Content-Type": true, "Content-Encoding": true, "Content-Length": true, "Content-Range": true,
}

// isFieldName reports whether s is a field name (an RFC 9110 token).
func isFieldName(s string) bool { return httpguts.ValidHeaderFieldName(s) }

func setDelta(d *Delta, arg string, hasArg bool) {
	if d.Set {
		return // first occurrence wins
	}
	d.Set = true
	d.Secs, d.Valid = parseDelta(arg, hasArg)
}

// parseDelta parses 1*DIGIT, clamping at 2^31 (RFC 9111 §1.2.2).
func parseDelta(s string, ok bool) (int64, bool) {
	if !ok || s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < maxDelta {
			n = n*10 + int64(c-'0')
		}
	}
	return min(n, maxDelta), true
}

// String formats d as one Cache-Control field value; ParseCacheControl of the
// result yields d again, except that field lists come back canonicalised.
func (d Directives) String() string {
	var parts []string
	flag := func(on bool, name string) {
		if on {
			parts = append(parts, name)
		}
	}
	delta := func(v Delta, name string) {
		switch {
		case v.Set && v.Valid:
			parts = append(parts, name+"="+strconv.FormatInt(v.Secs, 10))
		case v.Set:
			parts = append(parts, name+"=invalid")
		}
	}
	fields := func(f []string, name string) {
		if len(f) > 0 {
			parts = append(parts, name+`="`+strings.Join(f, ", ")+`"`)
		}
	}
	flag(d.NoStore, "no-store")
	flag(d.NoCache, "no-cache")
	fields(d.NoCacheFields, "no-cache")
	flag(d.Private, "private")
	fields(d.PrivateFields, "private")
	flag(d.Public, "public")
	flag(d.MustRevalidate, "must-revalidate")
	flag(d.ProxyRevalidate, "proxy-revalidate")
	flag(d.MustUnderstand, "must-understand")
	flag(d.NoTransform, "no-transform")
	flag(d.OnlyIfCached, "only-if-cached")
	flag(d.Immutable, "immutable")
	flag(d.MaxStaleAny, "max-stale")
	delta(d.MaxAge, "max-age")
	delta(d.SMaxAge, "s-maxage")
	delta(d.MaxStale, "max-stale")
	delta(d.MinFresh, "min-fresh")
	delta(d.StaleWhileRevalidate, "stale-while-revalidate")
	delta(d.StaleIfError, "stale-if-error")
	return strings.Join(parts, ", ")
}
