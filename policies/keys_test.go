package policies

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// goTypes is the Go type that holds each kind's values.
var goTypes = map[Kind]reflect.Type{
	Duration: reflect.TypeFor[time.Duration](), Int: reflect.TypeFor[int](), Bytes: reflect.TypeFor[int64](),
	Share: reflect.TypeFor[float64](), Choice: reflect.TypeFor[string](), Hash: reflect.TypeFor[string](),
	Bool: reflect.TypeFor[bool](), Text: reflect.TypeFor[string](), Strings: reflect.TypeFor[List](),
	PerTime: reflect.TypeFor[Rate](),
}

// The declarations are the one list of keys, so every mistake in them shows
// up everywhere at once: these are the properties the rest relies on.
func TestDeclarationsAreConsistent(t *testing.T) {
	names, labels := map[string]bool{}, map[string]bool{}
	for _, k := range Keys() {
		t.Run(k.Name, func(t *testing.T) {
			if names[k.Name] {
				t.Errorf("%s is declared twice", k.Name)
			}
			names[k.Name] = true
			if l := k.Label(); l != "" {
				if labels[l] {
					t.Errorf("label %s is used twice", l)
				}
				labels[l] = true
			}
			if want := goTypes[k.Kind]; reflect.TypeOf(k.Default()) != want {
				t.Errorf("built-in value %#v is a %T, want a %v for a %v", k.Default(), k.Default(), want, k.Kind)
			}
			if err := k.Check(k.Default()); err != nil {
				t.Errorf("the built-in value is out of the key's own range: %v", err)
			}
			if k.Doc == "" || strings.HasSuffix(k.Doc, ".") {
				t.Errorf("doc %q: want one line without a final period, as the docs table has them", k.Doc)
			}
			if (k.Kind == Choice) != (len(k.Values) > 0) {
				t.Errorf("values %q on a %v key", k.Values, k.Kind)
			}
			if k.onlyWith != "" {
				on := keysByName[k.onlyWith]
				if on == nil || goTypes[on.Kind].Kind() == reflect.String {
					t.Errorf("onlyWith %q is not a numeric key", k.onlyWith)
				}
			}
			// The key moves between an Overrides and a Policy.
			var o Overrides
			k.Set(&o, k.Default())
			var p Policy
			if !k.field.apply(&p, &o) || k.field.get(&p) != k.Default() {
				t.Errorf("setting the key in a layer did not reach the policy")
			}
		})
	}
}

func TestResolveExplainsEveryKey(t *testing.T) {
	_, why, err := Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if len(why) != len(keys) {
		t.Errorf("explanation has %d entries, there are %d keys", len(why), len(keys))
	}
	for _, k := range keys {
		if why[k.Name] != "built-in" {
			t.Errorf("%s set by %q, want built-in", k.Name, why[k.Name])
		}
	}
}

func TestMetaKeysAreTheLabelsOfTheDeclarations(t *testing.T) {
	got := MetaKeys()
	for _, want := range []string{"timeout", "try-timeout", "hash-on", "breaker-open-for", "retries-max-body-bytes", "outlier-max-ejected"} {
		if !slices.Contains(got, want) || !IsMetaKey(MetaPrefix+want) {
			t.Errorf("%s missing from MetaKeys %q or refused by IsMetaKey", want, got)
		}
	}
	if len(got) != len(keysByLabel) {
		t.Errorf("MetaKeys has %d keys, the declarations %d labels", len(got), len(keysByLabel))
	}
}

// A value means the same in a label as in the file: it is held to its key's
// range there too, and reported on its own, so one bad label never undoes
// the service's other labels.
func TestFromMetaHoldsEachValueToItsKeysRange(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"a breaker needs at least one probe", "bulwark-breaker-half-open-requests", "0", "must be at least 1"},
		{"retries are bounded as in the file", "bulwark-retries-attempts", "20", "must be from 1 (no retries) to 10"},
		{"a negative count is refused", "bulwark-bulkhead-max-queue", "-1", "must not be negative"},
		{"a count is a whole number", "bulwark-bulkhead-max-queue", "many", "not a whole number"},
		{"a label claims at most 1<<20", "bulwark-bulkhead-max-concurrent", "2000000", "more than 1048576"},
		{"a label claims at most an hour", "bulwark-retries-backoff", "2h", "longer than the 1h"},
		{"an open breaker must wait", "bulwark-breaker-open-for", "0s", "must be positive"},
		{"a share is at most 100%", "bulwark-retries-budget", "150%", "not between 0% and 100%"},
		{"a hash key is parsed", "bulwark-hash-on", "query:id", `hash_on "query:id": unknown source "query"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, problems := FromMeta(map[string]string{tt.key: tt.value, "bulwark-timeout": "2s"})
			if len(problems) != 1 || !strings.Contains(problems[0], tt.want) {
				t.Fatalf("problems = %q, want one containing %q", problems, tt.want)
			}
			if o.Timeout == nil || *o.Timeout != 2*time.Second {
				t.Errorf("the good label did not apply: %+v", o)
			}
			o.Timeout = nil
			if !o.Empty() {
				t.Errorf("the bad value applied: %+v", o)
			}
		})
	}
	for value, want := range map[string]time.Duration{"0s": 0, "250ms": 250 * time.Millisecond} {
		o, problems := FromMeta(map[string]string{"bulwark-try-timeout": value})
		if len(problems) != 0 || o.TryTimeout == nil || *o.TryTimeout != want {
			t.Errorf("try-timeout %s: %v, %q; want %v as in the file (0 means the whole timeout)", value, o.TryTimeout, problems, want)
		}
	}
}

// Validate holds a resolved policy to the same ranges, except for values
// their key's switch leaves unused.
func TestValidateSkipsValuesThatAreSwitchedOff(t *testing.T) {
	p := Defaults()
	p.Breaker = Breaker{}
	p.Bulkhead = Bulkhead{}
	p.Outlier = Outlier{}
	if err := p.Validate(); err != nil {
		t.Errorf("breaker, bulkhead queue and ejection off: %v", err)
	}
	p.Bulkhead.MaxQueue = 4
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "bulkhead.queue_timeout must be positive, got 0s") {
		t.Errorf("a queue without a queue timeout: %v", err)
	}
}
