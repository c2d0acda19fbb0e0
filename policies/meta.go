package policies

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MetaPrefix starts every policy key a service may set in its Consul meta,
// e.g. bulwark-timeout=2s. Meta is the top layer: a service team can tune its
// own upstream without a gateway config change.
const MetaPrefix = "bulwark-"

// A label is written by a service's team rather than the gateway's operator,
// so on top of its key's range it may not claim more of the gateway than
// these: a duration of at most an hour, a number of at most 1<<20.
const (
	labelMaxDuration = time.Hour
	labelMaxNumber   = 1 << 20
)

// IsMetaKey reports whether key (with MetaPrefix) is a policy key.
func IsMetaKey(key string) bool {
	k, ok := strings.CutPrefix(key, MetaPrefix)
	_, known := keysByLabel[k]
	return ok && known
}

// MetaKeys returns every policy key a service may set in its labels, without
// MetaPrefix ("timeout", "breaker-failures", ...), so a misspelt label can be
// answered with the key that was probably meant.
func MetaKeys() []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if l := k.Label(); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// FromMeta reads the policy keys of a service's meta. Every bad value is
// reported and left out; the good ones still apply, so one typo never undoes
// a service's other settings. Keys that are not policy keys are ignored (they
// belong to routing or documentation). Each value is held to its key's range,
// as in the file; whether the values agree with each other is left to
// Resolve, as for the file.
func FromMeta(meta map[string]string) (Overrides, []string) {
	var o Overrides
	var problems []string
	for i, k := range keys {
		l := labels[i]
		if l == "" {
			continue
		}
		s, ok := meta[MetaPrefix+l]
		if !ok {
			continue
		}
		v, why := k.fromLabel(s)
		if why != "" {
			problems = append(problems, fmt.Sprintf("meta %s%s=%q: %s; ignored", MetaPrefix, l, s, why))
			continue
		}
		k.Set(&o, v)
	}
	return o, problems
}

// fromLabel reads a label's text as a value of the key, or says why it cannot.
func (k Key) fromLabel(s string) (any, string) {
	var v any
	switch k.Kind {
	case Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, "not a duration (use Go syntax, e.g. 2s or 1500ms)"
		}
		v = d
	case Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, "not a whole number"
		}
		v = int(n)
	case Bytes:
		n, err := ParseBytes(s)
		if err != nil {
			return nil, err.Error()
		}
		v = n
	case Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, "want true or false"
		}
		return b, ""
	case Share:
		f, err := ParseShare(s)
		if err != nil {
			return nil, err.Error()
		}
		v = f
	case Choice:
		if !slices.Contains(k.Values, s) {
			return nil, "want " + orList(k.Values)
		}
		return s, ""
	case Hash:
		if _, err := ParseHashKey(s); err != nil {
			return nil, err.Error()
		}
		return s, ""
	case Text, Strings:
		var v any = s
		if k.Kind == Strings {
			v = parseLabelList(s)
		}
		if err := k.Check(v); err != nil {
			return nil, err.Error()
		}
		return v, ""
	case PerTime:
		r, err := ParseRate(s)
		if err != nil {
			return nil, err.Error()
		}
		return r, ""
	}
	if why := k.outOfRange(v); why != "" {
		return nil, why
	}
	n, _ := number(v)
	switch most := k.mostALabelMaySet(); {
	case k.Kind == Duration && n > most:
		return nil, fmt.Sprintf("longer than the %s a gateway timeout may be", shortDuration(time.Duration(most)))
	case k.Kind != Duration && k.Kind != Share && n > most:
		return nil, fmt.Sprintf("more than %s, the most a label may set", k.Kind.format(most))
	}
	return v, ""
}

// mostALabelMaySet is the largest number a label may give the key.
func (k Key) mostALabelMaySet() float64 {
	switch {
	case k.labelMax != 0:
		return k.labelMax
	case k.Kind == Duration:
		return float64(labelMaxDuration)
	}
	return labelMaxNumber
}

// Equal reports whether o and q set the same keys to the same values.
func (o *Overrides) Equal(q *Overrides) bool {
	var a, b Policy
	for _, k := range keys {
		if k.field.apply(&a, o) != k.field.apply(&b, q) || !k.field.same(&a, &b) {
			return false
		}
	}
	return true
}

// Values lists the keys the layer sets, by name, as the admin API writes
// them (a duration as "15s"), for showing a route's own keys.
func (o *Overrides) Values() map[string]any {
	out := map[string]any{}
	var scratch Policy
	for _, k := range keys {
		if k.field.apply(&scratch, o) {
			out[k.Name] = k.field.toJSON(&scratch)
		}
	}
	return out
}

// Sets reports whether the layer sets the key named name.
func (o *Overrides) Sets(name string) bool {
	k := keysByName[name]
	var scratch Policy
	return k != nil && k.field.apply(&scratch, o)
}

// Empty reports whether the overrides set nothing.
func (o Overrides) Empty() bool {
	var scratch Policy
	for _, k := range keys {
		if k.field.apply(&scratch, &o) {
			return false
		}
	}
	return true
}
