package policies

import (
	"encoding/json"
	"time"
)

// slot binds a key to its field in Policy and in Overrides. It is typed
// underneath (field[T]), so Defaults, Resolve and the JSON form move values
// between the two without a list of fields of their own, and without boxing
// on the paths the gateway takes at every update.
type slot interface {
	builtIn() any
	// reset stores the built-in value in p.
	reset(p *Policy)
	// apply stores o's value in p when o sets one, and says whether it did.
	apply(p *Policy, o *Overrides) bool
	get(p *Policy) any
	put(o *Overrides, v any)
	// toJSON is the value as the admin API writes it (a duration as "15s").
	toJSON(p *Policy) any
	// fromJSON reads what toJSON wrote, or a duration in nanoseconds.
	fromJSON(p *Policy, raw []byte) error
	// same reports whether a and b hold the same value.
	same(a, b *Policy) bool
}

// field is the slot of a key whose values are of Go type T.
type field[T comparable] struct {
	def    T
	policy func(*Policy) *T
	layer  func(*Overrides) **T
}

// bind declares where a key's value lives, and its built-in value.
func bind[T comparable](def T, policy func(*Policy) *T, layer func(*Overrides) **T) slot {
	return field[T]{def: def, policy: policy, layer: layer}
}

func (f field[T]) builtIn() any      { return f.def }
func (f field[T]) reset(p *Policy)   { *f.policy(p) = f.def }
func (f field[T]) get(p *Policy) any { return *f.policy(p) }

func (f field[T]) apply(p *Policy, o *Overrides) bool {
	src := *f.layer(o)
	if src == nil {
		return false
	}
	*f.policy(p) = *src
	return true
}

func (f field[T]) put(o *Overrides, v any) {
	x := v.(T)
	*f.layer(o) = &x
}

func (f field[T]) toJSON(p *Policy) any {
	if d, ok := any(*f.policy(p)).(time.Duration); ok {
		return d.String()
	}
	return *f.policy(p)
}

func (f field[T]) fromJSON(p *Policy, raw []byte) error {
	if d, ok := any(f.policy(p)).(*time.Duration); ok {
		return (*jsonDuration)(d).UnmarshalJSON(raw)
	}
	return json.Unmarshal(raw, f.policy(p))
}

func (f field[T]) same(a, b *Policy) bool { return *f.policy(a) == *f.policy(b) }
