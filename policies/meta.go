package policies

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MetaPrefix starts every policy key a service may set in its Consul meta,
// e.g. bulwark-timeout=2s. Meta is the top layer: a service team can tune its
// own upstream without a gateway config change.
const MetaPrefix = "bulwark-"

// metaKeys maps meta keys to the field they set, in the order problems are listed.
var metaKeys = []string{"timeout", "try-timeout", "connect-timeout", "stream-idle-timeout", "balancer", "hash-on"}

// IsMetaKey reports whether key (with MetaPrefix) is a policy key.
func IsMetaKey(key string) bool {
	k, ok := strings.CutPrefix(key, MetaPrefix)
	return ok && (slices.Contains(metaKeys, k) || slices.Contains(resilienceMetaKeys, k))
}

// FromMeta reads the policy keys of a service's meta. Every bad value is
// reported and left out; the good ones still apply, so one typo never undoes
// a service's other settings. Keys that are not policy keys are ignored (they
// belong to routing or documentation).
func FromMeta(meta map[string]string) (Overrides, []string) {
	var o Overrides
	var problems []string
	bad := func(key, value, why string) {
		problems = append(problems, fmt.Sprintf("meta %s%s=%q: %s; ignored", MetaPrefix, key, value, why))
	}
	duration := func(key string) *time.Duration {
		v, ok := meta[MetaPrefix+key]
		if !ok {
			return nil
		}
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad(key, v, "not a duration (use Go syntax, e.g. 2s or 1500ms)")
			return nil
		case d <= 0:
			bad(key, v, "must be positive")
			return nil
		case d > time.Hour:
			bad(key, v, "longer than the 1h a gateway timeout may be")
			return nil
		}
		return &d
	}
	o.Timeout = duration("timeout")
	o.TryTimeout = duration("try-timeout")
	o.ConnectTimeout = duration("connect-timeout")
	o.StreamIdle = duration("stream-idle-timeout")
	if v, ok := meta[MetaPrefix+"balancer"]; ok {
		switch v {
		case RoundRobin, LeastRequest, ConsistentHash:
			o.Balancer = &v
		default:
			bad("balancer", v, fmt.Sprintf("want %s, %s or %s", RoundRobin, LeastRequest, ConsistentHash))
		}
	}
	resilienceFromMeta(meta, &o, bad)
	if v, ok := meta[MetaPrefix+"hash-on"]; ok {
		if _, err := ParseHashKey(v); err != nil {
			bad("hash-on", v, err.Error())
		} else {
			o.HashOn = &v
		}
	}
	return o, problems
}

// Empty reports whether the overrides set nothing.
func (o Overrides) Empty() bool { return o == Overrides{} }
