package policies

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Most keys have a field of their own in Policy, because code on every
// request reads them (a timeout, a balancer) and a field costs nothing to
// read. A key may instead be declared with value(default): it then has no
// field, its values live in the policy's list of stored values, and the code
// that acts on it reads it with a Value handle. Such a key is one
// declaration and nothing else in this package, in config or in the label
// parser; that is how a new policy, and every key of the HTTP cache, is
// added.

// stored is the slot of a key declared with value. i is its place in
// Policy.more and Overrides.more, given when the declarations are indexed.
type stored[T comparable] struct {
	def T
	i   int
}

// value declares a key without a field of its own, with its built-in value.
func value[T comparable](def T) slot { return &stored[T]{def: def, i: -1} }

func (s *stored[T]) builtIn() any { return s.def }

func (s *stored[T]) same(a, b *Policy) bool { return s.get(a) == s.get(b) }

func (s *stored[T]) reset(p *Policy) {
	p.more = grow(p.more, s.i)
	p.more[s.i] = s.def
}

func (s *stored[T]) get(p *Policy) any {
	if s.i < len(p.more) && p.more[s.i] != nil {
		return p.more[s.i]
	}
	return s.def
}

// apply writes into p.more, which the caller (Resolve, With) owns: it was
// cloned from the policy below, never shared with a published one.
func (s *stored[T]) apply(p *Policy, o *Overrides) bool {
	if s.i >= len(o.more) || o.more[s.i] == nil {
		return false
	}
	p.more = grow(p.more, s.i)
	p.more[s.i] = o.more[s.i]
	return true
}

// put copies the list before writing, so a layer copied by value never
// changes the one it was copied from.
func (s *stored[T]) put(o *Overrides, v any) {
	more := grow(slices.Clone(o.more), s.i)
	more[s.i] = v.(T)
	o.more = more
}

func (s *stored[T]) toJSON(p *Policy) any {
	if d, ok := s.get(p).(time.Duration); ok {
		return d.String()
	}
	return s.get(p)
}

func (s *stored[T]) fromJSON(p *Policy, raw []byte) error {
	var v T
	if d, ok := any(&v).(*time.Duration); ok {
		if err := (*jsonDuration)(d).UnmarshalJSON(raw); err != nil {
			return err
		}
	} else if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	p.more = grow(slices.Clone(p.more), s.i)
	p.more[s.i] = v
	return nil
}

// grow makes s long enough to hold index i.
func grow(s []any, i int) []any {
	if i < len(s) {
		return s
	}
	return append(s, make([]any, i+1-len(s))...)
}

// Value reads one key declared with value from a resolved Policy. Code that
// acts on the key holds one, made once with ValueOf:
//
//	var cacheEnabled = policies.ValueOf[bool]("cache.enabled")
//	...
//	if cacheEnabled.Of(p) { ... }
type Value[T comparable] struct {
	i   int
	def T
}

// ValueOf returns the handle of a key declared with value, of Go type T. It
// panics when there is no such key, or it holds another type: a programming
// error, which every test of the package that declares the handle finds,
// since package variables are made before any test runs.
func ValueOf[T comparable](name string) Value[T] {
	k := keysByName[name]
	if k == nil {
		panic(fmt.Sprintf("policies.ValueOf(%q): no such key", name))
	}
	s, ok := k.field.(*stored[T])
	if !ok {
		panic(fmt.Sprintf("policies.ValueOf(%q): the key is not declared with value() of type %T", name, *new(T)))
	}
	return Value[T]{i: s.i, def: s.def}
}

// Of is the policy's value of the key: the built-in one when p was not made
// by Defaults or Resolve (the zero Policy).
func (v Value[T]) Of(p *Policy) T {
	if v.i < len(p.more) {
		if x, ok := p.more[v.i].(T); ok {
			return x
		}
	}
	return v.def
}

// numbered gives every key declared with value its place in the lists, in
// declaration order, before anything reads the declarations.
func numbered(keys []Key) []Key {
	n := 0
	for i := range keys {
		if s, ok := keys[i].field.(interface{ setIndex(int) }); ok {
			s.setIndex(n)
			n++
		}
	}
	return keys
}

func (s *stored[T]) setIndex(i int) { s.i = i }
