package hal

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// links reads _links: each rel holds a link or an array of links.
func (p *parser) links(d *Document, raw json.RawMessage, ptr string) {
	ms, ok := p.object(ptr, raw)
	if !ok {
		return
	}
	d.Links = make(map[string][]Link, len(ms))
	n, full := 0, false
	for _, m := range ms {
		rptr := ptr + "/" + escape(m.key)
		if m.key == "" {
			p.problem(rptr, "a relation needs a name")
		}
		items, array, ok := p.oneOrMany(rptr, m.val, "a link")
		if !ok {
			continue
		}
		ls := make([]Link, 0, len(items))
		for i, item := range items {
			if n >= p.maxLinks {
				if !full {
					p.problem(ptr, "more than %d links; the rest are dropped", p.maxLinks)
					full = true
				}
				break
			}
			if p.totalLinks >= p.maxTotalLinks {
				if !p.linksFull {
					p.problem(ptr, "more than %d links in the document; the rest are dropped", p.maxTotalLinks)
					p.linksFull = true
				}
				break
			}
			if l, ok := p.link(item, itemPointer(rptr, i, array)); ok {
				ls = append(ls, l)
				n++
				p.totalLinks++
			}
		}
		d.Links[m.key] = ls
		d.rels = append(d.rels, m.key)
		if array {
			if d.LinkArrays == nil {
				d.LinkArrays = map[string]bool{}
			}
			d.LinkArrays[m.key] = true
		}
	}
	p.checkCuries(d, ptr)
}

// link reads one Link Object. A link without href is kept, and reported.
func (p *parser) link(raw json.RawMessage, ptr string) (Link, bool) {
	ms, ok := p.object(ptr, raw)
	if !ok {
		return Link{}, false
	}
	var l Link
	fields := map[string]any{
		"href": &l.Href, "templated": &l.Templated, "type": &l.Type, "deprecation": &l.Deprecation,
		"name": &l.Name, "profile": &l.Profile, "title": &l.Title, "hreflang": &l.Hreflang,
	}
	hasHref := false
	for _, m := range ms {
		l.keys = append(l.keys, m.key)
		ok := p.set(ptr+"/"+escape(m.key), m, fields[m.key], &l.Extra)
		if m.key == "href" && ok && !isNull(m.val) {
			hasHref = true
		}
	}
	if !hasHref {
		p.problem(ptr, "a link needs an href")
	}
	p.checkLink(&l, ptr)
	return l, true
}

// checkLink marks a link unsafe when one of its URLs is, and reports templates
// that do not parse.
func (p *parser) checkLink(l *Link, ptr string) {
	for _, u := range []struct{ name, value string }{
		{"href", l.Href}, {"deprecation", l.Deprecation}, {"profile", l.Profile},
	} {
		if reason := unsafeURL(u.value); reason != "" {
			p.problem(ptr+"/"+u.name, "%s; the link is kept but marked unsafe", reason)
			l.Unsafe = true
		}
	}
	if l.Templated {
		if _, err := ParseURITemplate(l.Href); err != nil {
			p.problem(ptr+"/href", "the templated href does not parse: %v", err)
		}
	}
}

// checkCuries reports CURIEs that cannot resolve a rel.
func (p *parser) checkCuries(d *Document, ptr string) {
	seen := map[string]bool{}
	for i, c := range d.Links["curies"] {
		cptr := itemPointer(ptr+"/curies", i, d.LinkArrays["curies"])
		switch {
		case c.Name == "":
			p.problem(cptr, "a CURIE needs a name")
		case seen[c.Name]:
			p.problem(cptr+"/name", "CURIE %q is defined twice; the first one is used", c.Name)
		}
		seen[c.Name] = true
		t, err := ParseURITemplate(c.Href)
		if !c.Templated || err != nil || !slices.Contains(t.Vars(), "rel") {
			p.problem(cptr+"/href", "a CURIE href is a URI template with {rel}, with templated true")
		}
	}
}

// unsafeURL says why a link URL must not be followed or rendered as a link, or
// returns "" when it is relative or http(s). Browsers drop leading and trailing
// C0 controls and spaces and remove tabs and newlines anywhere before they read
// the scheme, so any of those makes a URL unsafe: "java\tscript:" would
// otherwise pass as a relative URL.
func unsafeURL(s string) string {
	if strings.TrimSpace(s) != s || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "the URL has control characters or surrounding spaces"
	}
	switch scheme := strings.ToLower(schemeOf(s)); scheme {
	case "", "http", "https":
		return ""
	default:
		return fmt.Sprintf("the URL scheme %q is not http or https", scheme)
	}
}

// schemeOf returns the scheme of an absolute URL (RFC 3986 section 3.1), or ""
// for a relative reference. It stops at "{" so that a template's literal prefix
// decides: "{+base}/x" has no scheme yet, "javascript:{x}" has one.
func schemeOf(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return s[:i]
		default:
			return ""
		}
	}
	return ""
}

// set decodes a known member into dst. A value of the wrong type is reported
// and kept in extra, so that encoding writes back what the service wrote. A nil
// dst means the member is unknown: it goes to extra as it is.
func (p *parser) set(ptr string, m member, dst any, extra *map[string]json.RawMessage) bool {
	if dst == nil || isNull(m.val) { // null is kept as written, not turned into ""
		keep(extra, m)
		return true
	}
	var want string
	var err error
	switch d := dst.(type) {
	case *string:
		want, err = "a string", unmarshalTo(m.val, d)
	case *bool:
		want, err = "a boolean", unmarshalTo(m.val, d)
	case *int:
		want, err = "an integer", unmarshalTo(m.val, d)
	case **float64:
		want, err = "a number", unmarshalTo(m.val, d)
	case *[]string:
		want, err = "an array of strings", unmarshalTo(m.val, d)
	default:
		panic(fmt.Sprintf("hal: no decoder for %T", dst))
	}
	if err != nil {
		p.problem(ptr, "want %s, not %s; the value is kept as it is", want, kind(m.val))
		keep(extra, m)
		return false
	}
	return true
}

// unmarshalTo sets *dst only when raw decodes completely.
func unmarshalTo[T any](raw json.RawMessage, dst *T) error {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	*dst = v
	return nil
}

func keep(extra *map[string]json.RawMessage, m member) {
	if *extra == nil {
		*extra = map[string]json.RawMessage{}
	}
	(*extra)[m.key] = m.val
}
