package httpcache

import (
	"net/http"

	"github.com/dunglas/httpsfv"
)

// Targeted cache control (RFC 9213). An origin can send caching directives
// meant for one class of cache alone: CDN-Cache-Control for every CDN, or
// Bulwark-Cache-Control for this gateway. A gateway's cache stands where a
// CDN's does, between the public and the origin, so it follows both, its own
// first; Options.NoCDNCacheControl leaves CDN-Cache-Control to a CDN in front
// of the gateway. Both fields are forwarded unchanged.

// targetList is this cache's target list, in order of precedence.
var targetList = []string{"Bulwark-Cache-Control", "CDN-Cache-Control"}

// ResponseDirectives returns the directives a shared cache follows for a
// response with header h: those of the first field on the target list with a
// valid, non-empty value (RFC 9213 §2.1: the cache MUST then ignore
// Cache-Control and Expires, and Targeted says so), else Cache-Control's.
func ResponseDirectives(h http.Header, opts Options) Directives {
	for _, name := range targetList {
		if name == "CDN-Cache-Control" && opts.NoCDNCacheControl {
			continue
		}
		if d, ok := parseTargeted(h.Values(name)); ok {
			return d
		}
	}
	return ParseCacheControl(h.Values("Cache-Control"))
}

// parseTargeted reads a targeted field's lines as the Structured Fields
// Dictionary RFC 9213 §2.1 makes it. ok is false when there are no lines, the
// value does not parse (RFC 9213 §2.1: the field is then ignored) or it is
// empty.
//
// The parser is httpsfv's, which is tested against the HTTP working group's
// own Structured Field test corpus: a cache that read these fields with the
// lenient Cache-Control parser would act on values its target list must
// ignore, such as "max-age= 100".
//
// Members map onto Cache-Control's meanings. A delta directive (max-age and
// the like) whose value is not a non-negative Integer is present but invalid,
// which makes the response stale, as a malformed Cache-Control argument does.
// A flag directive counts unless its value is the Boolean false ("?0"); a
// value of another type (private="Set-Cookie" is a String, not a field list)
// is read as the unqualified directive, the most restrictive reading.
// Unknown members and all parameters are ignored.
func parseTargeted(lines []string) (Directives, bool) {
	var d Directives
	if len(lines) == 0 {
		return d, false
	}
	dict, err := httpsfv.UnmarshalDictionary(lines)
	if err != nil || len(dict.Names()) == 0 {
		return d, false
	}
	d.Targeted = true
	for _, name := range dict.Names() {
		m, _ := dict.Get(name)
		item, isItem := m.(httpsfv.Item)
		if delta := d.deltaField(name); delta != nil {
			n, isInt := item.Value.(int64)
			*delta = Delta{Set: true, Valid: isItem && isInt && n >= 0, Secs: min(max(n, 0), maxDelta)}
			continue
		}
		if off, isBool := item.Value.(bool); isItem && isBool && !off {
			continue
		}
		d.apply(name, "", false)
	}
	return d, true
}

// deltaField returns where d keeps the response directive name's
// delta-seconds argument, or nil when name takes none.
func (d *Directives) deltaField(name string) *Delta {
	switch name {
	case "max-age":
		return &d.MaxAge
	case "s-maxage":
		return &d.SMaxAge
	case "stale-while-revalidate":
		return &d.StaleWhileRevalidate
	case "stale-if-error":
		return &d.StaleIfError
	}
	return nil
}
