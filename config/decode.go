package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a yaml.Node tree against Go types, by their yaml tags, and keeps
// going after a problem so that one pass reports everything wrong with a file.
// yaml.v3's own strict mode (KnownFields) stops at the first error and cannot
// suggest a key; this one collects every problem with its position and records the
// position of every value for Validate.
//
// It supports exactly what File uses: structs, pointers (nil when the key is absent
// or null, so `http: ""` differs from no http), slices, maps with string keys,
// strings, bools, ints, int64 and Duration. Aliases are refused, which also rules
// out "billion laughs" expansion: nothing here ever follows an alias.
type decoder struct {
	file  string
	pos   map[string]position
	probs Problems
	// failed lists the paths whose values could not be decoded, so that
	// validation does not report them a second time (as missing, say).
	failed []string
	// suggested lists the keys an unknown key was taken for ("servce" →
	// routes[0].service), so that validation does not also call them missing.
	suggested []string
}

var durationType = reflect.TypeFor[Duration]()

// errorf records a problem at n, with the message prefixed by the value's path.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	d.probs = append(d.probs, Problem{File: d.file, Line: n.Line, Column: n.Column, Msg: msg})
	d.failed = append(d.failed, path)
}

// decode stores n into v (which must be settable) and records n's position under
// path unless the caller already recorded a better one (see mappingEntry).
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if _, ok := d.pos[path]; !ok {
		d.pos[path] = nodePos(n)
	}
	if n.Kind == yaml.AliasNode {
		d.errorf(n, path, "YAML aliases (*%s) are not supported; write the value out", n.Value)
		return
	}
	tag := n.ShortTag()
	if strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		d.errorf(n, path, "unsupported YAML tag %q", n.Tag)
		return
	}
	if n.Kind == yaml.ScalarNode && tag == "!!null" {
		return // an empty value leaves the zero value, and a pointer nil
	}
	if v.Type() == durationType {
		d.duration(path, n, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(path, n, p.Elem())
		v.Set(p)
	case reflect.Struct:
		d.structure(path, n, v)
	case reflect.Map:
		d.mapping(path, n, v)
	case reflect.Slice:
		d.sequence(path, n, v)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || tag == "!!binary" {
			d.mismatch(path, n, v.Type())
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || tag != "!!bool" {
			d.mismatch(path, n, v.Type())
			return
		}
		v.SetBool(strings.EqualFold(n.Value, "true"))
	case reflect.Int, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || tag != "!!int" || n.Decode(&i) != nil {
			d.mismatch(path, n, v.Type())
			return
		}
		if v.OverflowInt(i) {
			d.errorf(n, path, "%s is out of range", n.Value)
			return
		}
		v.SetInt(i)
	default:
		// A programming error: a field of a type this decoder does not know.
		d.errorf(n, path, "internal error: cannot decode into %s", v.Type())
	}
}

func (d *decoder) duration(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.mismatch(path, n, v.Type())
		return
	}
	dur, err := parseDuration(n.Value)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	v.SetInt(int64(dur))
}

// structure decodes a mapping into a struct, field by yaml tag. Unknown and
// repeated keys are problems; each is reported and the rest still decoded.
func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.mismatch(path, n, v.Type())
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.key(path, k, seen) {
			continue
		}
		idx, ok := fields[k.Value]
		if !ok {
			var b declaredBlock
			takesDeclared := false
			if v.CanAddr() {
				b, takesDeclared = v.Addr().Interface().(declaredBlock)
			}
			if takesDeclared && d.declaredKey(path, "", k, val, b) {
				continue
			}
			known := slices.Collect(maps.Keys(fields))
			if takesDeclared {
				known = append(known, declaredNames(b)...)
			}
			d.unknownKey(path, k, known)
			continue
		}
		d.mappingEntry(keyPath(path, k.Value), k, val, v.Field(idx))
	}
}

// mapping decodes a mapping with string keys into a Go map.
func (d *decoder) mapping(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.mismatch(path, n, v.Type())
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.errorf(n, path, "internal error: cannot decode into %s", v.Type())
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(n.Content)/2))
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.key(path, k, seen) {
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		d.mappingEntry(keyPath(path, k.Value), k, val, elem)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
}

// mappingEntry decodes one value of a mapping. A block (or empty) value starts on
// a later line than its key or has no position of its own, so problems about the
// whole value, like "services.pets: ...", point at its key instead.
func (d *decoder) mappingEntry(path string, k, val *yaml.Node, v reflect.Value) {
	if val.Kind != yaml.ScalarNode || val.ShortTag() == "!!null" {
		d.pos[path] = nodePos(k)
	}
	d.decode(path, val, v)
}

// key checks a mapping key: a plain string, not seen before in this mapping.
func (d *decoder) key(path string, k *yaml.Node, seen map[string]*yaml.Node) bool {
	if k.Kind == yaml.AliasNode {
		d.errorf(k, path, "YAML aliases (*%s) are not supported; write the key out", k.Value)
		return false
	}
	if k.ShortTag() == "!!merge" {
		d.errorf(k, path, "merge keys (<<) are not supported; write the keys out")
		return false
	}
	if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!null" {
		d.errorf(k, path, "keys must be plain strings, found %s", describe(k))
		return false
	}
	if first, dup := seen[k.Value]; dup {
		d.errorf(k, path, "duplicate key %q (first at line %d)", k.Value, first.Line)
		return false
	}
	seen[k.Value] = k
	return true
}

func (d *decoder) unknownKey(path string, k *yaml.Node, known []string) {
	msg := fmt.Sprintf("unknown key %q", k.Value)
	if s := suggest(k.Value, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
		d.suggested = append(d.suggested, keyPath(path, s))
	}
	d.errorf(k, path, "%s", msg)
	d.failed = d.failed[:len(d.failed)-1] // an unknown key leaves every known value intact
}

// sequence decodes a list into a slice.
func (d *decoder) sequence(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.mismatch(path, n, v.Type())
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(indexPath(path, i), item, s.Index(i))
	}
	v.Set(s)
}

// mismatch reports a value of the wrong shape or type.
func (d *decoder) mismatch(path string, n *yaml.Node, want reflect.Type) {
	d.errorf(n, where(path), "expected %s, found %s", describeType(want), describe(n))
	d.failed[len(d.failed)-1] = path
}

// yamlFields maps each yaml key of struct type t to its field index. Fields
// without a yaml tag (like File's recorded positions) are not part of the format.
func yamlFields(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" && t.Field(i).IsExported() {
			fields[name] = i
		}
	}
	return fields
}

// describeType says what a value of Go type t looks like in YAML.
func describeType(t reflect.Type) string {
	if t == durationType {
		return durationHint
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "an integer"
	}
	return t.String()
}

// describe says what a node is, quoting (a prefix of) a scalar's text.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.ShortTag() == "!!null" {
		return "an empty value"
	}
	s := n.Value
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%q", s)
}
