package config

import (
	"reflect"
	"strings"
	"sync"

	"github.com/bulwark-gw/bulwark/policies"
)

// A policy block (defaults:, services.NAME:) stays a typed struct, so that it
// is decoded strictly and with positions like the rest of the file. Which of
// its values are policy keys, what each may hold and how it reaches the
// gateway is declared once, in package policies: a key's Name is its yaml
// path in the block, and the functions here find it there, so no code in this
// package lists the keys again.

// policyFields maps each declared key's Name to its field in Policy, as the
// index path for reflect.Value.FieldByIndex through the nested blocks.
var policyFields = sync.OnceValue(func() map[string][]int {
	out := map[string][]int{}
	for _, k := range policies.Keys() {
		if idx, ok := fieldByYAMLPath(reflect.TypeFor[Policy](), k.Name); ok {
			out[k.Name] = idx
		}
	}
	return out
})

// fieldByYAMLPath finds the field at a dotted yaml path ("retries.backoff")
// of struct type t, through pointers to nested blocks.
func fieldByYAMLPath(t reflect.Type, path string) ([]int, bool) {
	var idx []int
	for name := range strings.SplitSeq(path, ".") {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil, false
		}
		i, ok := yamlFields(t)[name]
		if !ok {
			return nil, false
		}
		idx = append(idx, i)
		t = t.Field(i).Type
	}
	return idx, true
}

// value returns the block's value of the key, as the Go type the key's kind
// declares, and whether the block sets it. A share that does not parse is an
// error (the text says why); every other type was checked by decoding.
func (p Policy) value(k policies.Key) (any, bool, error) {
	idx, ok := policyFields()[k.Name]
	if !ok {
		v, set := p.more[k.Name]
		return v, set, nil
	}
	v := reflect.ValueOf(p)
	for _, i := range idx {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil, false, nil
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	if v.IsNil() {
		return nil, false, nil
	}
	switch x := v.Elem().Interface().(type) {
	case Duration:
		return x.D(), true, nil
	case Percent:
		f, err := x.Fraction()
		return f, true, err
	default:
		return x, true, nil
	}
}

// overrides converts a policy block into a policies layer. A value that is
// not valid (refused by Validate) is left out.
func (p Policy) overrides() policies.Overrides {
	var o policies.Overrides
	for _, k := range policies.Keys() {
		if v, set, err := p.value(k); set && err == nil {
			k.Set(&o, v)
		}
	}
	return o
}

// overrides converts a route's policy keys into the layer the gateway puts
// over its service's policy for the route's requests. A value that is not
// valid (refused by Validate) is left out.
func (r Route) overrides() policies.Overrides {
	var o policies.Overrides
	for _, k := range policies.Keys() {
		if v, set := r.more[k.Name]; set && k.Check(v) == nil {
			k.Set(&o, v)
		}
	}
	return o
}
