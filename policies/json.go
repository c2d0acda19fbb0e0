package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// The admin API shows policies as JSON, and people read it: a duration is
// written as Go writes it ("15s", "100ms"), as the config file and Consul meta
// spell it, never as encoding/json's count of nanoseconds (15000000000).
// Prometheus' and Caddy's APIs do the same with their durations. The fields
// stay time.Duration in Go; only the JSON form changes. Decoding accepts the
// string and, for clients written against the old form, a number of
// nanoseconds.
//
// The members are the declared keys, nested at the dots of their paths
// ("retries.backoff" is "retries": {"backoff": ...}), in declaration order,
// so a new key shows up in the admin API with nothing more to write here.

// MarshalJSON writes one member per key.
func (p Policy) MarshalJSON() ([]byte, error) {
	root := &object{}
	for _, k := range keys {
		path, omitEmpty := k.jsonPath()
		v := k.field.toJSON(&p)
		if omitEmpty && reflect.ValueOf(v).IsZero() {
			continue
		}
		root.put(strings.Split(path, "."), v)
	}
	return json.Marshal(root)
}

// UnmarshalJSON reads what MarshalJSON writes. A key that is absent (or
// null) leaves its field as it was; members that are not keys are ignored.
func (p *Policy) UnmarshalJSON(b []byte) error {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(b, &root); err != nil {
		return err
	}
	objects := map[string]map[string]json.RawMessage{"": root}
	for _, k := range keys {
		path, _ := k.jsonPath()
		raw, err := member(objects, path)
		if err != nil {
			return err
		}
		if raw == nil || string(raw) == "null" {
			continue
		}
		if err := k.field.fromJSON(p, raw); err != nil {
			return fmt.Errorf("policy %s: %w", path, err)
		}
	}
	return nil
}

// jsonPath is where the key's value goes in the JSON, and whether an empty
// value is left out.
func (k Key) jsonPath() (path string, omitEmpty bool) {
	if k.json == "" {
		return k.Name, false
	}
	path, opt, _ := strings.Cut(k.json, ",")
	return path, opt == "omitempty"
}

// member finds the raw value at a dotted path, decoding (once) each object on
// the way; objects holds them by path, the root at "".
func member(objects map[string]map[string]json.RawMessage, path string) (json.RawMessage, error) {
	parent, name := "", path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	obj, ok := objects[parent]
	if !ok {
		raw, err := member(objects, parent)
		if err != nil {
			return nil, err
		}
		if raw != nil && string(raw) != "null" {
			if err := json.Unmarshal(raw, &obj); err != nil {
				return nil, fmt.Errorf("policy %s: %w", parent, err)
			}
		}
		objects[parent] = obj
	}
	return obj[name], nil
}

// object is a JSON object that keeps its members in the order they were put.
type object struct {
	names  []string
	values []any
}

// put stores v at path, creating the objects on the way.
func (o *object) put(path []string, v any) {
	name := path[0]
	i := 0
	for i < len(o.names) && o.names[i] != name {
		i++
	}
	if i == len(o.names) {
		o.names = append(o.names, name)
		o.values = append(o.values, nil)
		if len(path) > 1 {
			o.values[i] = &object{}
		}
	}
	if len(path) == 1 {
		o.values[i] = v
		return
	}
	o.values[i].(*object).put(path[1:], v)
}

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range o.names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		v, err := json.Marshal(o.values[i])
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jsonDuration is a time.Duration in JSON: a string such as "15s" or, as
// older clients wrote it, a number of nanoseconds.
type jsonDuration time.Duration

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("a duration is a string such as \"15s\", found %s", b)
		}
		*d = jsonDuration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = jsonDuration(v)
	return nil
}
