package httpcache

import (
	"net/http"
	"strings"
)

// varyAll marks a response with "Vary: *", which no later request matches
// (RFC 9111 §4.1).
const varyAll = "*"

// varyNames returns the canonical field names listed by all Vary lines, or
// []string{"*"} if any of them is "*".
func varyNames(h http.Header) []string {
	var names []string
	for _, line := range h.Values("Vary") {
		for f := range strings.SplitSeq(line, ",") {
			f = strings.TrimSpace(f)
			switch {
			case f == "":
			case f == varyAll:
				return []string{varyAll}
			default:
				names = append(names, http.CanonicalHeaderKey(f))
			}
		}
	}
	return names
}

// normaliseValues joins all field lines of one header as RFC 9111 §4.1
// allows: lines combined, list members trimmed of whitespace, empty members
// dropped, joined with ",". The result is what a stored variant records.
func normaliseValues(lines []string) string {
	var b strings.Builder
	first := true
	for m := range members(lines) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(m)
	}
	return b.String()
}

// members yields the trimmed, non-empty comma-separated members of lines.
func members(lines []string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, line := range lines {
			for len(line) > 0 {
				m := line
				if i := strings.IndexByte(line, ','); i >= 0 {
					m, line = line[:i], line[i+1:]
				} else {
					line = ""
				}
				if m = strings.Trim(m, " \t"); m != "" && !yield(m) {
					return
				}
			}
		}
	}
}

// caseInsensitive lists selecting headers whose values compare without case
// (media types, codings, language tags and charsets are case-insensitive,
// RFC 9110 §8.3.1, §8.4.1, §8.5.1, §12.5); all others compare exactly.
var caseInsensitive = map[string]bool{
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Accept-Charset": true,
}

// valuesMatch reports whether the request's field lines normalise to stored,
// without building the normalised string (Lookup stays allocation-free).
func valuesMatch(name, stored string, lines []string) bool {
	fold := caseInsensitive[name]
	for m := range members(lines) {
		var want string
		if i := strings.IndexByte(stored, ','); i >= 0 {
			want, stored = stored[:i], stored[i+1:]
		} else if stored != "" {
			want, stored = stored, ""
		} else {
			return false
		}
		if want != m && !(fold && strings.EqualFold(want, m)) {
			return false
		}
	}
	return stored == ""
}

// absent is the stored value of a selecting header the request did not
// send: it matches only a request that does not send it either (RFC 9111
// §4.1), while a header sent empty is present. A NUL cannot be a field
// value, so no request's value is absent.
const absent = "\x00"

// varyValue is what a stored variant records of a selecting header.
func varyValue(h http.Header, name string) string {
	lines, ok := h[name]
	if !ok {
		return absent
	}
	return normaliseValues(lines)
}

// selects reports whether a stored variant matches req's selecting headers.
func (e *Entry) selects(req *http.Request) bool {
	for i, name := range e.VaryNames {
		if name == varyAll {
			return false
		}
		lines, present := req.Header[name]
		if e.VaryValues[i] == absent {
			if present {
				return false
			}
			continue
		}
		if !present || !valuesMatch(name, e.VaryValues[i], lines) {
			return false
		}
	}
	return true
}

// VaryMatches reports whether every field res's Vary names has the same
// value in seen, the request the cache keys and selects on, and in sent, the
// request the origin answered. A gateway adds fields on the way (the caller's
// identity, its address, forwarded headers) and takes others off (a checked
// credential): a variant stored under the client's values of such a field
// would be given to every client that has the same, or none, while the
// origin chose it by a value the cache never saw. Vary: * is not stored
// anyway (Storable).
func VaryMatches(res http.Header, seen, sent http.Header) bool {
	for _, name := range varyNames(res) {
		if name != varyAll && varyValue(seen, name) != varyValue(sent, name) {
			return false
		}
	}
	return true
}
