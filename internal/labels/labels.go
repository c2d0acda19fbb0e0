// Package labels reads what a service says about itself in its Consul
// registration, tags and meta, into one typed value: its routes, its policy
// overrides, where its documents are, and every problem named after the exact
// tag or meta key it came from. It is the only reader of bulwark's labels, so
// it alone knows their vocabulary (keys.go), and an unknown key is answered
// with the key that was probably meant, whichever part of bulwark reads it.
//
//	tag  bulwark.route=/inventory     meta bulwark-route=/inventory     path prefix (repeatable as tags)
//	tag  bulwark.host=inv.example.com meta bulwark-host=...             host, exact or *.wildcard
//	tag  bulwark.methods=GET,HEAD     meta bulwark-methods=GET,HEAD
//	tag  bulwark.strip-prefix=true    meta bulwark-strip-prefix=true
//	tag  bulwark.websocket=true       meta bulwark-websocket=true
//	tag  urlprefix-[host]/path [strip=/path]                            Fabio's, unchanged
//	tag  bulwark.weight=5             meta bulwark-weight=5             per instance (InstanceWeight)
//	                                  meta bulwark-openapi=/openapi.json, bulwark-hal=/
//	tag  bulwark.timeout=2s           meta bulwark-timeout=2s           and every other policies.MetaKeys key
//
// A bad value is reported and only that value is dropped: the rest of the
// service still routes. Route and host values add up over tags and meta; a
// key that takes one value (methods, strip-prefix, websocket, a policy key)
// may be set either way, and the meta wins. The weight is read per instance
// and is the exception (InstanceWeight).
//
// Who imports it: the package needs policies (to read policy overrides and to
// know their keys), and reads plain tags and meta rather than discovery's
// types, so it imports nothing else from bulwark but internal/typo. The
// gateway, which may depend on policies, calls Parse itself. discovery depends
// on nothing in bulwark and the catalog not on policies, so neither imports
// this package: the command wires its answers into them as function fields,
// InstanceWeight into discovery.ConsulConfig.Weight and Parse's Documents into
// catalog.Options.LabelDocs, as the catalog already learns routes through
// Options.RouteOf.
package labels

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/policies"
)

// Service is what one service's labels mean. Its slices are never modified
// after Parse returns.
type Service struct {
	// Routes are the service's label routes: Fabio's tags first, in tag
	// order, then every host and path pair of the bulwark keys.
	Routes []Route
	// Policy is the top layer of the service's policy.
	Policy policies.Overrides
	// Documents are where the service says its documents are.
	Documents Documents
	// Problems are what is wrong with the labels, each starting with where
	// it was read, in a stable order.
	Problems []string
}

// Route is one label route, before the gateway attaches its service.
type Route struct {
	Host, Path  string   // Host lower-cased; "" is any host
	Methods     []string // upper-cased; nil is every method
	StripPrefix bool
	WebSocket   bool
}

// Documents are the paths, on the service's instances, of its documents; ""
// when the labels do not say (the catalog then probes the usual places).
type Documents struct {
	OpenAPI string
	HAL     string
}

// value is one value of a key and where it was read, so a problem names the
// exact tag or meta key to fix.
type value struct {
	val    string
	origin string // `tag "bulwark.route=/x"` or `meta "bulwark-route"`
	meta   bool
}

func tagOrigin(tag string) string  { return fmt.Sprintf("tag %q", tag) }
func metaOrigin(key string) string { return fmt.Sprintf("meta %q", key) }

// Parse reads one service's labels. The result depends on the labels alone,
// never on map order: the gateway compares problem lists to decide whether to
// log, and route lists to decide whether to rebuild.
func Parse(tags []string, meta map[string]string) Service {
	var s Service
	report := func(format string, args ...any) { s.Problems = append(s.Problems, fmt.Sprintf(format, args...)) }

	values := map[string][]value{} // key → values, tags first then meta (meta wins)
	for _, t := range tags {
		switch {
		case strings.HasPrefix(t, tagPrefix):
			key, val, ok := strings.Cut(strings.TrimPrefix(t, tagPrefix), "=")
			if !ok {
				report("tag %q: want %skey=value", t, tagPrefix)
				continue
			}
			values[key] = append(values[key], value{val: val, origin: tagOrigin(t)})
		case strings.HasPrefix(t, fabioPrefix):
			if r, err := fabioRoute(strings.TrimPrefix(t, fabioPrefix)); err != nil {
				report("tag %q: %v; route skipped", t, err)
			} else {
				s.Routes = append(s.Routes, r)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if key, ok := strings.CutPrefix(k, metaPrefix); ok {
			values[key] = append(values[key], value{val: meta[k], origin: metaOrigin(k), meta: true})
		}
	}
	reportUnknown(values, report)
	s.Routes = appendRoutes(s.Routes, values, report)
	s.Policy, s.Problems = readPolicy(values, s.Problems)
	s.Documents = readDocuments(values, report)
	return s
}
