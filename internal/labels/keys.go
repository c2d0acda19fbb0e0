package labels

import (
	"fmt"
	"maps"
	"slices"

	"github.com/bulwark-gw/bulwark/internal/typo"
	"github.com/bulwark-gw/bulwark/policies"
)

// Label prefixes: a bulwark key is a tag "bulwark.KEY=value" or the meta
// "bulwark-KEY"; Fabio's route tags start with "urlprefix-".
const (
	tagPrefix   = "bulwark."
	metaPrefix  = policies.MetaPrefix
	fabioPrefix = "urlprefix-"
)

// The keys this package reads itself; policies declares the policy keys.
const (
	routeKey     = "route"
	hostKey      = "host"
	methodsKey   = "methods"
	stripKey     = "strip-prefix"
	websocketKey = "websocket"
	weightKey    = "weight"
	openapiKey   = "openapi"
	halKey       = "hal"
)

// known is every key bulwark reads from labels, without a prefix.
var known = slices.Concat([]string{routeKey, hostKey, methodsKey, stripKey, websocketKey, weightKey, openapiKey, halKey},
	policies.MetaKeys())

// Keys returns every key bulwark reads from labels, without a prefix: the
// vocabulary a misspelt key is checked against, and the one docs/consul.md
// documents.
func Keys() []string { return slices.Clone(known) }

// reportUnknown reports every value of a key nothing reads, with the known
// key it is closest to, in key order.
func reportUnknown(values map[string][]value, report func(string, ...any)) {
	for _, key := range slices.Sorted(maps.Keys(values)) {
		if slices.Contains(known, key) {
			continue
		}
		hint := ""
		if s := typo.Suggest(key, known); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		for _, v := range values[key] {
			report("%s: unknown label %q%s; ignored (known keys: docs/consul.md)", v.origin, key, hint)
		}
	}
}
