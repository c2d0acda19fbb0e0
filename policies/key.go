package policies

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Key declares one policy key: everything bulwark knows about a setting apart
// from the code that acts on it. The config file checks a value against it at
// the value's line, Consul labels are parsed by it, Resolve and the admin
// API's explanation name values by it, and the docs table is generated from
// it, so none of them keeps a list of keys of its own and a new key is one
// declaration (keys.go) plus the code that uses it.
type Key struct {
	// Name is the key's path in a policy block of the config file
	// ("retries.max_body_bytes"), and its name in an Explanation.
	Name string
	// Kind says how a value is written and which Go type holds it.
	Kind Kind
	// Values are the choices of a Choice key.
	Values []string
	// Range bounds a number (Duration, Int, Bytes, Share); the zero Range
	// is "not negative".
	Range Range
	// Doc says what the key does, in one line of the configuration reference.
	Doc string
	// Labels says whether a service's Consul labels may set the key, as
	// MetaPrefix + Label().
	Labels bool
	// Route says whether a route block may set the key for its own requests,
	// over its service's value. Only keys that act on one request at a time
	// (a cache rule, a header) may: a route cannot have a breaker or a pool
	// of its own, since those belong to the service its routes share.
	Route bool

	// onlyWith names the key that switches this one on: while that key is
	// 0, this value is unused, so a resolved policy is not held to its range
	// (a breaker with failures 0 needs no open_for). A value written in the
	// file or a label is always checked: it says what its writer meant.
	onlyWith string
	// labelMax, when not 0, replaces the most a label may set of a number
	// (labelMaxNumber): a cache's byte budget is counted in millions.
	labelMax float64
	// json is the value's place in the admin API's JSON when it is not Name,
	// as a dotted path with encoding/json's ",omitempty".
	json string
	// text, when its check is set, says what one string of a Text or
	// Strings key may be: an origin, a CIDR, a header name.
	text textRule
	// field binds the key to its place in Policy and Overrides.
	field slot
}

// Kind is how a policy value is written.
type Kind int

// The kinds of policy value, with the Go type that holds each.
const (
	Duration Kind = iota // time.Duration, in Go syntax: "250ms", "1m30s"
	Int                  // int, a whole number
	Bytes                // int64, a size in bytes
	Share                // float64 from 0 to 1, written "20%" or 0.2
	Choice               // string, one of the key's Values
	Hash                 // string, a request key for hashing: "header:NAME", "cookie:NAME", "path:N"
	Bool                 // bool, true or false
	Text                 // string, checked by the key's own rule
	Strings              // List: a YAML list, or comma-separated in a label
	PerTime              // Rate: "100/s", "6000/m", "5/10s"
)

// String names the kind as the configuration reference does.
func (k Kind) String() string {
	switch k {
	case Duration:
		return "duration"
	case Int:
		return "integer"
	case Bytes:
		return "bytes"
	case Share:
		return "percentage"
	case Choice:
		return "choice"
	case Hash:
		return "request key"
	case Bool:
		return "boolean"
	case Text:
		return "string"
	case Strings:
		return "list"
	case PerTime:
		return "rate"
	}
	return "kind " + strconv.Itoa(int(k))
}

// Range bounds a number: at least Min (more than Min when Above) and, when
// Max > Min, at most Max. Durations are counted in nanoseconds and shares as
// fractions.
type Range struct {
	Min, Max float64
	Above    bool
	// MinMeans says what the least value does, in parentheses after it in
	// problems and docs: "0 disables it".
	MinMeans string
}

// The ranges the declarations use.
func positive() Range                           { return Range{Above: true} }
func notNegative(means string) Range            { return Range{MinMeans: means} }
func atLeast(n float64) Range                   { return Range{Min: n} }
func fromTo(lo, hi float64, means string) Range { return Range{Min: lo, Max: hi, MinMeans: means} }

// phrase says what a value must be, in words: "must be positive", "must be
// from 1 (no retries) to 10".
func (r Range) phrase(k Kind) string {
	lo := k.format(r.Min)
	if r.MinMeans != "" {
		lo += " (" + r.MinMeans + ")"
	}
	switch {
	case r.Max > r.Min:
		return "must be from " + lo + " to " + k.format(r.Max)
	case r.Above && r.Min == 0:
		return "must be positive"
	case r.Above:
		return "must be more than " + lo
	case r.Min == 0 && r.MinMeans != "":
		return "must not be negative (" + r.MinMeans + ")"
	case r.Min == 0:
		return "must not be negative"
	}
	return "must be at least " + lo
}

// holds reports whether n is within the range.
func (r Range) holds(n float64) bool {
	if n < r.Min || (r.Above && n == r.Min) {
		return false
	}
	return r.Max <= r.Min || n <= r.Max
}

// format writes a bound of the range the way values of the kind are written.
func (k Kind) format(n float64) string {
	switch k {
	case Duration:
		return shortDuration(time.Duration(n))
	case Share:
		return strconv.FormatFloat(n*100, 'f', -1, 64) + "%"
	case Bytes:
		return FormatBytes(int64(n))
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// Label is the key after MetaPrefix in a service's Consul labels, its Name
// with '-' for '.' and '_' (breaker.open_for is bulwark-breaker-open-for), or
// "" when labels may not set it.
func (k Key) Label() string {
	if !k.Labels {
		return ""
	}
	return labelName.Replace(k.Name)
}

// labelName turns a key's Name into its label, built once (see labels).
var labelName = strings.NewReplacer(".", "-", "_", "-")

// Default is the built-in value, of the kind's Go type.
func (k Key) Default() any { return k.field.builtIn() }

// Check reports what is wrong with a value of the key on its own, or nil; v
// is of the kind's Go type. The text suits "PATH: TEXT": "must be positive,
// got 0s", `unknown balancer "random" (want ...)`.
func (k Key) Check(v any) error {
	switch k.Kind {
	case Choice:
		if s := v.(string); !slices.Contains(k.Values, s) {
			return fmt.Errorf("unknown %s %q (want %s)", k.Name[strings.LastIndex(k.Name, ".")+1:], s, orList(k.Values))
		}
	case Bool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("want true or false, got %v", v)
		}
	case Hash:
		if s := v.(string); s != "" {
			if _, why := parseHashKey(s); why != "" {
				return fmt.Errorf("%q: %s", s, why)
			}
		}
	case Text:
		if s := v.(string); s != "" && k.text.check != nil {
			if why := k.text.check(s); why != "" {
				return fmt.Errorf("%q: %s", s, why)
			}
		}
	case Strings:
		for _, s := range v.(List).Items() {
			if strings.ContainsAny(s, "\n\r") {
				return fmt.Errorf("%q: an item must be one line", s)
			}
			if k.text.check == nil {
				continue
			}
			if why := k.text.check(s); why != "" {
				return fmt.Errorf("%q: %s", s, why)
			}
		}
	case PerTime:
	default:
		if why := k.outOfRange(v); why != "" {
			return fmt.Errorf("%s, got %s", why, formatValue(v))
		}
	}
	return nil
}

// outOfRange is the range's phrase when the number v is outside it, else "".
func (k Key) outOfRange(v any) string {
	if n, ok := number(v); ok && !k.Range.holds(n) {
		return k.Range.phrase(k.Kind)
	}
	return ""
}

// Set stores v, of the kind's Go type, as the layer's value of the key.
func (k Key) Set(o *Overrides, v any) { k.field.put(o, v) }

// number reads a numeric policy value as a float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case time.Duration:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// formatValue writes a value as the file does: "15s", "20%", "3".
func formatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return Share.format(x)
	case string:
		return x
	case int64:
		return FormatBytes(x)
	}
	return fmt.Sprint(v)
}

// shortDuration writes d as people do, without the zero units Go adds after
// hours and minutes: "1h", "5m", "1m30s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// orList joins choices as a sentence does: "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
