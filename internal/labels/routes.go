package labels

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// appendRoutes adds the routes of the bulwark keys: every host and path
// pair, with the methods and flags the service sets for all of them.
func appendRoutes(routes []Route, values map[string][]value, report func(string, ...any)) []Route {
	var base Route
	if ms := values[methodsKey]; len(ms) > 0 {
		m := ms[len(ms)-1] // meta, when both are set: as for policy keys
		if methods, err := parseMethods(m.val); err != nil {
			report("%s: methods %q: %v; the routes take every method", m.origin, m.val, err)
		} else {
			base.Methods = methods
		}
	}
	base.StripPrefix = readBool(values[stripKey], stripKey, report)
	base.WebSocket = readBool(values[websocketKey], websocketKey, report)

	hosts := []string{""}
	if hs := values[hostKey]; len(hs) > 0 {
		hosts = hosts[:0]
		for _, h := range firstOfEach(hs) {
			if err := checkHost(h.val); err != nil {
				report("%s: host %q: %v; skipped", h.origin, h.val, err)
				continue
			}
			hosts = append(hosts, strings.ToLower(h.val))
		}
	}
	paths := firstOfEach(values[routeKey])
	if len(paths) == 0 && len(values[hostKey]) > 0 {
		paths = []value{{val: "/"}} // a host alone routes all of its paths
	}
	for _, p := range paths {
		if err := checkPath(p.val); err != nil {
			report("%s: route %q: %v; skipped", p.origin, p.val, err)
			continue
		}
		for _, h := range hosts {
			r := base
			r.Host, r.Path = h, p.val
			routes = append(routes, r)
		}
	}
	return routes
}

// firstOfEach returns vals sorted by value with duplicates dropped, each
// keeping where it was first read.
func firstOfEach(vals []value) []value {
	out := slices.Clone(vals)
	slices.SortStableFunc(out, func(a, b value) int { return strings.Compare(a.val, b.val) })
	return slices.CompactFunc(out, func(a, b value) bool { return a.val == b.val })
}

// readBool reads a boolean key; meta (listed last) wins over a tag.
func readBool(vals []value, key string, report func(string, ...any)) bool {
	if len(vals) == 0 {
		return false
	}
	v := vals[len(vals)-1]
	b, err := strconv.ParseBool(v.val)
	if err != nil {
		report("%s: %s %q: want true or false; using false", v.origin, key, v.val)
		return false
	}
	return b
}

// parseMethods reads "GET,HEAD" into upper-case tokens.
func parseMethods(s string) ([]string, error) {
	var out []string
	for m := range strings.SplitSeq(s, ",") {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" || strings.IndexFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			return nil, fmt.Errorf("%q is not a method", m)
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// checkPath accepts the paths a config route could have: absolute, clean,
// without query, fragment or spaces.
func checkPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("must start with /")
	case strings.ContainsAny(p, "?# \t\\%"):
		return fmt.Errorf("must not contain ?, #, %%, backslash or spaces")
	case strings.Contains(p, "//") || slices.Contains(strings.Split(p, "/"), "..") || slices.Contains(strings.Split(p, "/"), "."):
		return fmt.Errorf("must be clean (no //, . or .. segments)")
	}
	return nil
}

// checkHost accepts a DNS name or a one-label wildcard (*.example.com).
func checkHost(h string) error {
	name := strings.TrimPrefix(h, "*.")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("not a host name")
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return fmt.Errorf("not a host name")
		}
		for _, c := range strings.ToLower(label) {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return fmt.Errorf("not a host name")
			}
		}
	}
	return nil
}
