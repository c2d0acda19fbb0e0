package hal

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Encode writes the document as JSON, keeping the members it does not know
// and the order of the ones it read. Unlike json.Marshal, it does not escape
// "&", "<" and ">", so query strings stay readable.
func (d *Document) Encode() ([]byte, error) { return d.MarshalJSON() }

// MarshalJSON writes the document back: the links as they are now (after
// RewriteOrigins, say), everything else as it was read. A rel read as one object
// stays an object unless it now has several links. Problems and Unsafe marks are
// not part of the document and are not written. A document built in code that
// embeds itself, or nests past the bounds of docWalk, is an error.
func (d *Document) MarshalJSON() ([]byte, error) { return d.marshal(&docWalk{}) }

func (d *Document) marshal(w *docWalk) ([]byte, error) {
	if why := w.enter(d); why != "" {
		return nil, fmt.Errorf("encoding HAL document: %s", why)
	}
	defer w.leave()
	var links, embedded, templates any
	if d.Links != nil {
		fs := make([]field, 0, len(d.Links))
		for _, rel := range ordered(d.rels, d.Links) {
			ls := d.Links[rel]
			if len(ls) == 1 && !d.LinkArrays[rel] {
				fs = append(fs, field{key: rel, val: ls[0]})
			} else {
				fs = append(fs, field{key: rel, val: nonNil(ls)})
			}
		}
		links = rawObject(nil, fs, nil)
	}
	if d.Embedded != nil {
		fs := make([]field, 0, len(d.Embedded))
		for _, rel := range ordered(d.embRel, d.Embedded) {
			docs := make([]json.RawMessage, 0, len(d.Embedded[rel]))
			for _, e := range d.Embedded[rel] {
				b := json.RawMessage("null")
				if e != nil {
					var err error
					if b, err = e.marshal(w); err != nil {
						return nil, err
					}
				}
				docs = append(docs, b)
			}
			if len(docs) == 1 && !d.EmbeddedArrays[rel] {
				fs = append(fs, field{key: rel, val: docs[0]})
			} else {
				fs = append(fs, field{key: rel, val: docs})
			}
		}
		embedded = rawObject(nil, fs, nil)
	}
	if d.Templates != nil {
		fs := make([]field, 0, len(d.Templates))
		for _, name := range ordered(d.tpls, d.Templates) {
			fs = append(fs, field{key: name, val: d.Templates[name]})
		}
		templates = rawObject(nil, fs, nil)
	}
	return encodeObject(d.keys, []field{
		{key: "_links", val: links},
		{key: "_embedded", val: embedded},
		{key: "_templates", val: templates},
	}, d.Properties)
}

// MarshalJSON writes a Link Object.
func (l Link) MarshalJSON() ([]byte, error) {
	return encodeObject(l.keys, []field{
		{"href", l.Href, l.Href == ""},
		{"templated", l.Templated, !l.Templated},
		{"type", l.Type, l.Type == ""},
		{"deprecation", l.Deprecation, l.Deprecation == ""},
		{"name", l.Name, l.Name == ""},
		{"profile", l.Profile, l.Profile == ""},
		{"title", l.Title, l.Title == ""},
		{"hreflang", l.Hreflang, l.Hreflang == ""},
	}, l.Extra)
}

// MarshalJSON writes a HAL-FORMS template.
func (t Template) MarshalJSON() ([]byte, error) {
	return encodeObject(t.keys, []field{
		{"title", t.Title, t.Title == ""},
		{"method", t.Method, t.Method == ""},
		{"contentType", t.ContentType, t.ContentType == ""},
		{"target", t.Target, t.Target == ""},
		{"properties", t.Properties, t.Properties == nil},
	}, t.Extra)
}

// MarshalJSON writes a HAL-FORMS property.
func (p Property) MarshalJSON() ([]byte, error) {
	return encodeObject(p.keys, []field{
		{"name", p.Name, p.Name == ""},
		{"prompt", p.Prompt, p.Prompt == ""},
		{"placeholder", p.Placeholder, p.Placeholder == ""},
		{"type", p.Type, p.Type == ""},
		{"regex", p.Regex, p.Regex == ""},
		{"value", p.Value, p.Value == ""},
		{"required", p.Required, !p.Required},
		{"readOnly", p.ReadOnly, !p.ReadOnly},
		{"templated", p.Templated, !p.Templated},
		{"min", p.Min, p.Min == nil},
		{"max", p.Max, p.Max == nil},
		{"step", p.Step, p.Step == nil},
		{"minLength", p.MinLength, p.MinLength == 0},
		{"maxLength", p.MaxLength, p.MaxLength == 0},
		{"cols", p.Cols, p.Cols == 0},
		{"rows", p.Rows, p.Rows == 0},
		{"options", p.Options, p.Options == nil},
	}, p.Extra)
}

// MarshalJSON writes a property's options.
func (o *PropertyOptions) MarshalJSON() ([]byte, error) {
	return encodeObject(o.keys, []field{
		{"inline", o.Inline, o.Inline == nil},
		{"link", o.Link, o.Link == nil},
		{"promptField", o.PromptField, o.PromptField == ""},
		{"valueField", o.ValueField, o.ValueField == ""},
		{"selectedValues", o.SelectedValues, o.SelectedValues == nil},
		{"minItems", o.MinItems, o.MinItems == 0},
		{"maxItems", o.MaxItems, o.MaxItems == 0},
	}, o.Extra)
}

// MarshalJSON writes an inline option, as a bare string if it was read as one.
func (o Option) MarshalJSON() ([]byte, error) {
	if o.plain && o.Prompt == o.Value && o.Extra == nil {
		return marshal(o.Value)
	}
	return encodeObject(o.keys, []field{
		{"prompt", o.Prompt, o.Prompt == ""},
		{"value", o.Value, o.Value == ""},
	}, o.Extra)
}

// field is a known member. A nil val is absent. A zero one is written only
// where the document had the member and no raw value was kept for it in extra.
type field struct {
	key  string
	val  any
	zero bool
}

// encodeObject writes fields and extra members: first in the order they were
// read, then the fields, then the remaining extra members sorted by key. A
// non-zero field wins over an extra member of the same name.
func encodeObject(order []string, fields []field, extra map[string]json.RawMessage) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	byKey := make(map[string]field, len(fields))
	for _, f := range fields {
		byKey[f.key] = f
	}
	done := map[string]bool{}
	emit := func(k string, read bool) error {
		f, known := byKey[k]
		var v []byte
		switch raw, kept := extra[k]; {
		case done[k]:
			return nil
		case known && f.val != nil && !f.zero:
		case kept:
			v = raw
		case known && f.val != nil && read:
		default:
			return nil
		}
		if v == nil {
			var err error
			if v, err = marshal(f.val); err != nil {
				return fmt.Errorf("encoding %q: %w", k, err)
			}
		}
		if len(done) > 0 {
			b.WriteByte(',')
		}
		done[k] = true
		key, _ := marshal(k)
		b.Write(key)
		b.WriteByte(':')
		if err := json.Compact(&b, v); err != nil {
			return fmt.Errorf("encoding %q: %w", k, err)
		}
		return nil
	}
	for _, k := range order {
		if err := emit(k, true); err != nil {
			return nil, err
		}
	}
	for _, f := range fields {
		if err := emit(f.key, false); err != nil {
			return nil, err
		}
	}
	for _, k := range ordered(nil, extra) {
		if err := emit(k, false); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// rawObject is encodeObject for values built here; an error surfaces when the
// result is marshalled.
func rawObject(order []string, fields []field, extra map[string]json.RawMessage) any {
	v, err := encodeObject(order, fields, extra)
	if err != nil {
		return failing{err}
	}
	return json.RawMessage(v)
}

type failing struct{ err error }

func (f failing) MarshalJSON() ([]byte, error) { return nil, f.err }

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
