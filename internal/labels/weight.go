package labels

import (
	"fmt"
	"strconv"
	"strings"
)

// InstanceWeight reads one instance's weight (1–1000) from its own tags and
// meta: Consul keeps labels per instance, and so does the weight, where every
// other key is the service's. It returns 0 when the labels set none, and 0
// with an error saying why when the one they set is bad, so the caller keeps
// its own default: the registration's Consul passing weight.
//
// Unlike the service's keys, a tag wins over the meta here (the last
// bulwark.weight tag, else bulwark-weight), as it always has: changing it
// would move traffic on instances that set both.
func InstanceWeight(tags []string, meta map[string]string) (int, error) {
	raw, from := meta[metaPrefix+weightKey], "meta "+metaPrefix+weightKey
	for _, t := range tags {
		if v, ok := strings.CutPrefix(t, tagPrefix+weightKey+"="); ok {
			raw, from = v, "tag "+tagPrefix+weightKey
		}
	}
	if raw == "" {
		return 0, nil
	}
	w, err := strconv.Atoi(raw)
	if err != nil || w < 1 || w > 1000 {
		return 0, fmt.Errorf("%s=%q: want a whole number from 1 to 1000", from, raw)
	}
	return w, nil
}
