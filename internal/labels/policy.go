package labels

import (
	"strings"

	"github.com/bulwark-gw/bulwark/policies"
)

// readPolicy reads the policy keys, which may be tags too (bulwark.timeout=2s):
// the meta, else the first tag. policies.FromMeta names every problem after
// the meta key, so a value read from a tag has its problem re-attributed to
// the tag: an operator told "meta bulwark-timeout" looks for meta that is not
// there.
func readPolicy(values map[string][]value, problems []string) (policies.Overrides, []string) {
	pm := map[string]string{}
	from := map[string]value{} // meta key → the value used and its origin
	for key, vals := range values {
		if k := metaPrefix + key; policies.IsMetaKey(k) {
			v := vals[0] // the first tag, or the meta
			for _, x := range vals {
				if x.meta {
					v = x
				}
			}
			pm[k], from[k] = v.val, v
		}
	}
	pol, raw := policies.FromMeta(pm)
	for _, p := range raw {
		for k, v := range from {
			prefix := "meta " + k + "="
			if rest, ok := strings.CutPrefix(p, prefix); ok && !v.meta {
				p = v.origin + ": " + strings.TrimPrefix(k, metaPrefix) + "=" + rest
				break
			}
		}
		problems = append(problems, p)
	}
	return pol, problems
}
