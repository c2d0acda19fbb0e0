package hal

import (
	"fmt"
	"strings"
)

// Rel is one relation of a document's _links.
type Rel struct {
	// Name is the rel as written: "self", "ex:orders".
	Name string
	// URI is the relation type in full, with a CURIE expanded
	// ("https://docs.example.com/rels/orders"): where it is documented. It is ""
	// for registered names such as "self" and for CURIEs that do not resolve.
	URI   string
	Links []Link
}

// Rels lists the document's relations in document order, without "curies".
func (d *Document) Rels() []Rel {
	var rels []Rel
	for _, name := range ordered(d.rels, d.Links) {
		if name == "curies" {
			continue
		}
		uri, _ := d.ResolveRel(name)
		rels = append(rels, Rel{Name: name, URI: uri, Links: d.Links[name]})
	}
	return rels
}

// Curies returns the document's own CURIEs. An embedded document also uses
// its ancestors' CURIEs (see ResolveRel).
func (d *Document) Curies() []Link { return d.Links["curies"] }

// ResolveRel returns the URL that documents rel. For a CURIE such as
// "ex:orders", that is the href of the curies link named "ex" with {rel} set to
// "orders". The CURIE is looked up in this document and then in the documents
// that embed it, and the first one with that name wins. A rel that is an http(s)
// URL is its own documentation. Registered names ("self", "next"), unknown
// prefixes, and CURIEs that are unsafe or do not expand give false.
func (d *Document) ResolveRel(rel string) (string, bool) {
	prefix, ref, ok := strings.Cut(rel, ":")
	if !ok || prefix == "" {
		return "", false
	}
	if c, found := d.curie(prefix); found {
		// A CURIE is a template whatever its templated flag says; the flag's
		// absence is reported by Parse.
		u, err := c.expand(map[string]string{"rel": ref}, true)
		return u, err == nil && u != ""
	}
	if scheme := strings.ToLower(prefix); (scheme == "http" || scheme == "https") &&
		strings.HasPrefix(ref, "//") && unsafeURL(rel) == "" {
		return rel, true
	}
	return "", false
}

func (d *Document) curie(name string) (Link, bool) {
	for doc := d; doc != nil; doc = doc.parent {
		for _, c := range doc.Links["curies"] {
			if c.Name == name {
				return c, true
			}
		}
	}
	return Link{}, false
}

// Expand returns the link's URL with vars substituted as RFC 6570 says. A link
// that is not templated is returned as written. Expand fails for an unsafe link,
// for a template that does not parse, and when the expansion is not a relative
// or http(s) URL.
func (l Link) Expand(vars map[string]string) (string, error) {
	return l.expand(vars, l.Templated)
}

// Vars lists a templated link's variables; nil for a plain link.
func (l Link) Vars() []string {
	if !l.Templated {
		return nil
	}
	t, err := ParseURITemplate(l.Href)
	if err != nil {
		return nil
	}
	return t.Vars()
}

func (l Link) expand(vars map[string]string, templated bool) (string, error) {
	if l.Unsafe {
		return "", fmt.Errorf("expanding %q: %w", l.Href, ErrUnsafeURL)
	}
	u := l.Href
	if templated {
		t, err := ParseURITemplate(l.Href)
		if err != nil {
			return "", err
		}
		u = t.Expand(vars)
	}
	if reason := unsafeURL(u); reason != "" {
		return "", fmt.Errorf("expanding %q: %w: %s", l.Href, ErrUnsafeURL, reason)
	}
	return u, nil
}
