package config

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bulwark-gw/bulwark/policies"
)

// A policy key declared without a field of its own (policies.value) has no
// field in Policy or Route either: the decoder reads it straight from the
// declaration, by its kind, at its dotted name ("cache.max_bytes" is the
// max_bytes of a cache: block). That is what makes a new policy one
// declaration: nothing in this package names it.

// declaredBlock is a block of the file that takes declared keys beyond its
// fields: a policy block takes every key without a field, a route the keys
// marked Route.
type declaredBlock interface {
	takes(k policies.Key) bool
	setDeclared(name string, v any)
}

func (p *Policy) takes(k policies.Key) bool {
	_, hasField := policyFields()[k.Name]
	return !hasField
}

func (p *Policy) setDeclared(name string, v any) {
	if p.more == nil {
		p.more = map[string]any{}
	}
	p.more[name] = v
}

func (r *Route) takes(k policies.Key) bool { return k.Route }

func (r *Route) setDeclared(name string, v any) {
	if r.more == nil {
		r.more = map[string]any{}
	}
	r.more[name] = v
}

// declaredKey decodes the entry k: val of block b when k names a key it
// takes, or a block of them ("cache:"), and reports whether it did. Within
// such a block every key must be declared; a stranger is reported with the
// name it was probably meant to be.
func (d *decoder) declaredKey(path, prefix string, k, val *yaml.Node, b declaredBlock) bool {
	name := prefix + k.Value
	var inner []string
	for _, key := range policies.Keys() {
		if !b.takes(key) {
			continue
		}
		if key.Name == name {
			if val.Kind != yaml.ScalarNode || val.ShortTag() == "!!null" {
				d.pos[keyPath(path, k.Value)] = nodePos(k)
			}
			d.declaredValue(keyPath(path, k.Value), val, key, b)
			return true
		}
		if rest, ok := strings.CutPrefix(key.Name, name+"."); ok {
			first, _, _ := strings.Cut(rest, ".")
			inner = append(inner, first)
		}
	}
	if len(inner) == 0 {
		return false
	}
	p := keyPath(path, k.Value)
	d.pos[p] = nodePos(k)
	if val.Kind == yaml.ScalarNode && val.ShortTag() == "!!null" {
		return true
	}
	if val.Kind != yaml.MappingNode {
		d.errorf(val, p, "expected a mapping, found %s", describe(val))
		return true
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(val.Content); i += 2 {
		ik, iv := val.Content[i], val.Content[i+1]
		if d.key(p, ik, seen) && !d.declaredKey(p, name+".", ik, iv, b) {
			d.unknownKey(p, ik, slices.Compact(slices.Sorted(slices.Values(inner))))
		}
	}
	return true
}

// declaredValue decodes one value as its key's kind writes it, and stores it.
func (d *decoder) declaredValue(path string, n *yaml.Node, k policies.Key, b declaredBlock) {
	d.pos[path] = nodePos(n)
	tag := n.ShortTag()
	if k.Kind == policies.Strings && n.Kind == yaml.SequenceNode {
		d.declaredList(path, n, k, b)
		return
	}
	if n.Kind != yaml.ScalarNode || tag == "!!null" {
		d.errorf(n, path, "expected %s, found %s", kindHint(k.Kind), describe(n))
		return
	}
	var v any
	var err error
	switch k.Kind {
	case policies.Duration:
		var dur Duration
		dur, err = parseDuration(n.Value)
		v = dur.D()
	case policies.Int:
		var i int64
		if tag != "!!int" || n.Decode(&i) != nil || int64(int(i)) != i {
			d.errorf(n, path, "expected %s, found %s", kindHint(k.Kind), describe(n))
			return
		}
		v = int(i)
	case policies.Bytes:
		v, err = policies.ParseBytes(n.Value)
	case policies.Share:
		v, err = policies.ParseShare(n.Value)
	case policies.Bool:
		if tag != "!!bool" {
			d.errorf(n, path, "expected %s, found %s", kindHint(k.Kind), describe(n))
			return
		}
		v = strings.EqualFold(n.Value, "true")
	case policies.Strings:
		v = policies.ListOf(n.Value)
	case policies.PerTime:
		v, err = policies.ParseRate(n.Value)
	default: // Choice, Hash, Text: the key's own check says what is wrong
		v = n.Value
	}
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	b.setDeclared(k.Name, v)
}

// declaredList decodes a Strings key written as a YAML list of strings.
func (d *decoder) declaredList(path string, n *yaml.Node, k policies.Key, b declaredBlock) {
	items := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.ShortTag() == "!!null" || item.Value == "" {
			d.errorf(item, indexPath(path, i), "expected a string, found %s", describe(item))
			return
		}
		items = append(items, item.Value)
	}
	b.setDeclared(k.Name, policies.ListOf(items...))
}

// kindHint says what a value of a kind looks like in the file.
func kindHint(k policies.Kind) string {
	switch k {
	case policies.Duration:
		return durationHint
	case policies.Int:
		return "an integer"
	case policies.Bytes:
		return "a size (65536, 64KiB, 64MiB)"
	case policies.Share:
		return "a percentage (20%)"
	case policies.Bool:
		return "true or false"
	case policies.Strings:
		return "a list of strings"
	case policies.PerTime:
		return "a rate (100/s, 6000/m)"
	}
	return "a string"
}

// declaredNames lists the first segments of the declared keys b takes, for
// suggesting a key in place of a misspelt one.
func declaredNames(b declaredBlock) []string {
	var out []string
	for _, k := range policies.Keys() {
		if b.takes(k) {
			first, _, _ := strings.Cut(k.Name, ".")
			out = append(out, first)
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}
