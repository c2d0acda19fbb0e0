package hal

import (
	"encoding/json"
	"fmt"
	"mime"
	"strings"
)

// templates reads HAL-FORMS _templates, an object of named templates.
func (p *parser) templates(d *Document, raw json.RawMessage, ptr string) {
	ms, ok := p.object(ptr, raw)
	if !ok {
		return
	}
	d.Templates = make(map[string]Template, len(ms))
	for _, m := range ms {
		tptr := ptr + "/" + escape(m.key)
		tms, ok := p.object(tptr, m.val)
		if !ok {
			continue
		}
		d.Templates[m.key] = p.template(tms, tptr)
		d.tpls = append(d.tpls, m.key)
	}
}

func (p *parser) template(ms []member, ptr string) Template {
	var t Template
	fields := map[string]any{
		"title": &t.Title, "method": &t.Method, "contentType": &t.ContentType, "target": &t.Target,
	}
	for _, m := range ms {
		t.keys = append(t.keys, m.key)
		fptr := ptr + "/" + escape(m.key)
		if m.key == "properties" {
			t.Properties = p.properties(fptr, m, &t.Extra)
			continue
		}
		p.set(fptr, m, fields[m.key], &t.Extra)
	}
	switch {
	case t.Method == "":
		p.problem(ptr, "a template needs a method; clients will use GET")
	case t.RequestMethod() != strings.ToUpper(t.Method):
		p.problem(ptr+"/method", "%q is not an HTTP method; clients will use GET", t.Method)
	}
	if t.ContentType != "" {
		if _, _, err := mime.ParseMediaType(t.ContentType); err != nil {
			p.problem(ptr+"/contentType", "%q is not a media type: %v", t.ContentType, err)
		}
	}
	if reason := unsafeURL(t.Target); reason != "" {
		p.problem(ptr+"/target", "%s; the template is kept but marked unsafe", reason)
		t.Unsafe = true
	}
	return t
}

// properties reads a template's properties, an array of objects.
func (p *parser) properties(ptr string, m member, extra *map[string]json.RawMessage) []Property {
	items, ok := p.array(ptr, m, "properties", extra)
	if !ok {
		return nil
	}
	props := make([]Property, 0, len(items))
	for i, item := range items {
		iptr := fmt.Sprintf("%s/%d", ptr, i)
		if ms, ok := p.object(iptr, item); ok {
			props = append(props, p.property(ms, iptr))
		}
	}
	return props
}

func (p *parser) property(ms []member, ptr string) Property {
	var pr Property
	fields := map[string]any{
		"name": &pr.Name, "prompt": &pr.Prompt, "placeholder": &pr.Placeholder, "type": &pr.Type,
		"regex": &pr.Regex, "value": &pr.Value, "required": &pr.Required, "readOnly": &pr.ReadOnly,
		"templated": &pr.Templated, "min": &pr.Min, "max": &pr.Max, "step": &pr.Step,
		"minLength": &pr.MinLength, "maxLength": &pr.MaxLength, "cols": &pr.Cols, "rows": &pr.Rows,
	}
	for _, m := range ms {
		pr.keys = append(pr.keys, m.key)
		fptr := ptr + "/" + escape(m.key)
		if m.key == "options" && !isNull(m.val) {
			if oms, ok := p.object(fptr, m.val); ok {
				pr.Options = p.options(oms, fptr)
			} else {
				keep(&pr.Extra, m)
			}
			continue
		}
		p.set(fptr, m, fields[m.key], &pr.Extra)
	}
	if pr.Name == "" {
		p.problem(ptr, "a property needs a name")
	}
	return pr
}

// options reads the values a property may take: inline, or behind a link.
func (p *parser) options(ms []member, ptr string) *PropertyOptions {
	o := &PropertyOptions{}
	fields := map[string]any{
		"promptField": &o.PromptField, "valueField": &o.ValueField, "selectedValues": &o.SelectedValues,
		"minItems": &o.MinItems, "maxItems": &o.MaxItems,
	}
	for _, m := range ms {
		o.keys = append(o.keys, m.key)
		fptr := ptr + "/" + escape(m.key)
		switch m.key {
		case "inline":
			if items, ok := p.array(fptr, m, "options", &o.Extra); ok {
				o.Inline = p.inline(items, fptr)
			}
		case "link":
			if l, ok := p.link(m.val, fptr); ok {
				o.Link = &l
			} else {
				keep(&o.Extra, m)
			}
		default:
			p.set(fptr, m, fields[m.key], &o.Extra)
		}
	}
	return o
}

// inline reads inline options: strings, or objects with prompt and value.
func (p *parser) inline(items []json.RawMessage, ptr string) []Option {
	opts := make([]Option, 0, len(items))
	for i, item := range items {
		iptr := fmt.Sprintf("%s/%d", ptr, i)
		var s string
		if kind(item) == "a string" && json.Unmarshal(item, &s) == nil {
			opts = append(opts, Option{Prompt: s, Value: s, plain: true})
			continue
		}
		ms, ok := p.object(iptr, item)
		if !ok {
			continue
		}
		var o Option
		fields := map[string]any{"prompt": &o.Prompt, "value": &o.Value}
		for _, m := range ms {
			o.keys = append(o.keys, m.key)
			p.set(iptr+"/"+escape(m.key), m, fields[m.key], &o.Extra)
		}
		opts = append(opts, o)
	}
	return opts
}

// array returns the items of an array member, or reports it and keeps it in
// extra as written.
func (p *parser) array(ptr string, m member, what string, extra *map[string]json.RawMessage) ([]json.RawMessage, bool) {
	if isNull(m.val) {
		keep(extra, m)
		return nil, false
	}
	var items []json.RawMessage
	if kind(m.val) != "an array" || json.Unmarshal(m.val, &items) != nil {
		p.problem(ptr, "want an array of %s, not %s", what, kind(m.val))
		keep(extra, m)
		return nil, false
	}
	return items, true
}
