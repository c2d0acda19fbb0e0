package gateway

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/typo"
	"github.com/bulwark-gw/bulwark/policies"
)

// Services opt in to routing with labels on their registration (Consul tags
// and meta), so a team ships a service and its route together without touching
// the gateway's file:
//
//	tag  bulwark.route=/inventory     meta bulwark-route=/inventory     path prefix (repeatable as tags)
//	tag  bulwark.host=inv.example.com meta bulwark-host=...             host, exact or *.wildcard
//	tag  bulwark.methods=GET,HEAD     meta bulwark-methods=GET,HEAD
//	tag  bulwark.strip-prefix=true    meta bulwark-strip-prefix=true
//	tag  bulwark.websocket=true       meta bulwark-websocket=true
//	tag  urlprefix-[host]/path [strip=/path]                            Fabio's, unchanged
//	meta bulwark-timeout=2s, bulwark-try-timeout, bulwark-connect-timeout, bulwark-balancer, bulwark-hash-on
//
// A bad value is reported (log, metric, admin API) and only that value is
// dropped: the rest of the service still routes.

// Label prefixes.
const (
	tagPrefix    = "bulwark."
	metaPrefix   = policies.MetaPrefix
	fabioPrefix  = "urlprefix-"
	routeKey     = "route"
	hostKey      = "host"
	methodsKey   = "methods"
	stripKey     = "strip-prefix"
	websocketKey = "websocket"
)

// foreignKeys are bulwark labels read by other packages (discovery: weight;
// the documentation catalog: openapi, hal); they are not typos.
var foreignKeys = []string{"weight", "openapi", "hal"}

// labelView is what a service's labels mean to the gateway. Views are rebuilt
// only when a service's labels change.
type labelView struct {
	src      discovery.Labels
	routes   []Route
	ids      []string    // routeIdentity of each route, computed once
	keys     []bucketKey // the bucket of each route
	policy   policies.Overrides
	problems []string
}

// labelValue is one value of a label key and where it was read, so a problem
// names the exact tag or meta key to fix.
type labelValue struct {
	val    string
	origin string // `tag "bulwark.route=/x"` or `meta "bulwark-route"`
}

func tagOrigin(tag string) string  { return fmt.Sprintf("tag %q", tag) }
func metaOrigin(key string) string { return fmt.Sprintf("meta %q", key) }

// knownLabelKeys are every key after the prefix that some part of bulwark
// reads, for "did you mean".
var knownLabelKeys = slices.Concat([]string{routeKey, hostKey, methodsKey, stripKey, websocketKey}, foreignKeys, policies.MetaKeys())

// readLabels interprets one service's labels.
func readLabels(service string, l discovery.Labels) *labelView {
	v := &labelView{src: l}
	report := func(format string, args ...any) { v.problems = append(v.problems, fmt.Sprintf(format, args...)) }

	values := map[string][]labelValue{} // key → values, tags first then meta (meta wins)
	for _, t := range l.Tags {
		switch {
		case strings.HasPrefix(t, tagPrefix):
			key, val, ok := strings.Cut(strings.TrimPrefix(t, tagPrefix), "=")
			if !ok {
				report("tag %q: want %skey=value", t, tagPrefix)
				continue
			}
			values[key] = append(values[key], labelValue{val, tagOrigin(t)})
		case strings.HasPrefix(t, fabioPrefix):
			if r, err := fabioRoute(service, strings.TrimPrefix(t, fabioPrefix)); err != nil {
				report("tag %q: %v; route skipped", t, err)
			} else {
				v.routes = append(v.routes, r)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(l.Meta)) {
		if key, ok := strings.CutPrefix(k, metaPrefix); ok {
			values[key] = append(values[key], labelValue{l.Meta[k], metaOrigin(k)})
		}
	}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		if slices.Contains(knownLabelKeys, key) {
			continue
		}
		hint := ""
		if s := typo.Suggest(key, knownLabelKeys); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		for _, lv := range values[key] {
			report("%s: unknown label %q%s; ignored (known keys: docs/consul.md)", lv.origin, key, hint)
		}
	}

	base := Route{Service: service}
	if ms := values[methodsKey]; len(ms) > 0 {
		m := ms[len(ms)-1] // meta, when both are set: as for policy keys
		if methods, err := parseMethods(m.val); err != nil {
			report("%s: methods %q: %v; the routes take every method", m.origin, m.val, err)
		} else {
			base.Methods = methods
		}
	}
	base.StripPrefix = labelBool(values[stripKey], stripKey, report)
	base.WebSocket = labelBool(values[websocketKey], websocketKey, report)

	hosts := []string{""}
	if hs := values[hostKey]; len(hs) > 0 {
		hosts = hosts[:0]
		for _, h := range firstOfEach(hs) {
			if err := checkLabelHost(h.val); err != nil {
				report("%s: host %q: %v; skipped", h.origin, h.val, err)
				continue
			}
			hosts = append(hosts, strings.ToLower(h.val))
		}
	}
	paths := firstOfEach(values[routeKey])
	if len(paths) == 0 && len(values[hostKey]) > 0 {
		paths = []labelValue{{val: "/"}} // a host alone routes all of its paths
	}
	for _, p := range paths {
		if err := checkLabelPath(p.val); err != nil {
			report("%s: route %q: %v; skipped", p.origin, p.val, err)
			continue
		}
		for _, h := range hosts {
			r := base
			r.Host, r.Path = h, p.val
			v.routes = append(v.routes, r)
		}
	}
	v.policy, v.problems = labelPolicy(values, v.problems)
	for _, r := range v.routes {
		v.ids = append(v.ids, routeIdentity(r))
		v.keys = append(v.keys, bucketOfRoute(r))
	}
	return v
}

// firstOfEach returns vals sorted by value with duplicates dropped, each
// keeping where it was first read.
func firstOfEach(vals []labelValue) []labelValue {
	out := slices.Clone(vals)
	slices.SortStableFunc(out, func(a, b labelValue) int { return strings.Compare(a.val, b.val) })
	return slices.CompactFunc(out, func(a, b labelValue) bool { return a.val == b.val })
}

// labelPolicy reads the policy keys, which may be tags too (bulwark.timeout=2s);
// meta wins over a tag. policies.FromMeta names every problem after the meta
// key, so a value read from a tag has its problem re-attributed to the tag:
// an operator told "meta bulwark-timeout" looks for meta that is not there.
func labelPolicy(values map[string][]labelValue, problems []string) (policies.Overrides, []string) {
	pm := map[string]string{}
	from := map[string]labelValue{} // meta key → the value used and its origin
	for key, vals := range values {
		if k := metaPrefix + key; policies.IsMetaKey(k) {
			lv := vals[0] // the first tag, or the meta
			for _, x := range vals {
				if strings.HasPrefix(x.origin, "meta ") {
					lv = x
				}
			}
			pm[k], from[k] = lv.val, lv
		}
	}
	pol, raw := policies.FromMeta(pm)
	for _, p := range raw {
		for k, lv := range from {
			prefix := "meta " + k + "="
			if rest, ok := strings.CutPrefix(p, prefix); ok && strings.HasPrefix(lv.origin, "tag ") {
				p = lv.origin + ": " + strings.TrimPrefix(k, metaPrefix) + "=" + rest
				break
			}
		}
		problems = append(problems, p)
	}
	return pol, problems
}

// fabioRoute parses the part of a Fabio tag after "urlprefix-": "[host]/path"
// and options. strip= is honoured when it strips the whole route prefix, as
// bulwark's strip-prefix does; other options change what Fabio does (proto,
// tlsskipverify, allow/deny, auth) and ignoring them could expose a service or
// send it the wrong protocol, so a route with them is skipped instead.
func fabioRoute(service, spec string) (Route, error) {
	fields := strings.Fields(spec)
	if len(fields) == 0 {
		return Route{}, fmt.Errorf("empty route")
	}
	r := Route{Service: service, Path: "/"}
	hostPath := fields[0]
	if i := strings.IndexByte(hostPath, '/'); i > 0 {
		r.Host, r.Path = strings.ToLower(hostPath[:i]), hostPath[i:]
	} else if i < 0 {
		r.Host = strings.ToLower(hostPath)
	} else {
		r.Path = hostPath
	}
	if r.Host != "" {
		if err := checkLabelHost(r.Host); err != nil {
			return Route{}, fmt.Errorf("host: %w", err)
		}
	}
	if err := checkLabelPath(r.Path); err != nil {
		return Route{}, err
	}
	for _, opt := range fields[1:] {
		key, val, _ := strings.Cut(opt, "=")
		if key != "strip" {
			return Route{}, fmt.Errorf("option %q is not supported by bulwark", key)
		}
		if strings.TrimSuffix(val, "/") != strings.TrimSuffix(r.Path, "/") {
			return Route{}, fmt.Errorf("strip=%s: bulwark strips exactly the route's path (%s)", val, r.Path)
		}
		r.StripPrefix = true
	}
	return r, nil
}

// labelBool reads a boolean label; meta (listed last) wins over a tag.
func labelBool(vals []labelValue, key string, report func(string, ...any)) bool {
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

// checkLabelPath accepts the paths a config route could have: absolute, clean,
// without query, fragment or spaces.
func checkLabelPath(p string) error {
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

// checkLabelHost accepts a DNS name or a one-label wildcard (*.example.com).
func checkLabelHost(h string) error {
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
