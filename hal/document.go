package hal

import (
	"encoding/json"
	"slices"
	"strings"
)

// Document is one HAL resource: its links, embedded resources, HAL-FORMS
// templates and the rest of its state. Maps are nil when the document has no
// such member, except Properties, which Parse always sets.
type Document struct {
	// Links maps a relation ("self", "ex:orders") to its links. HAL allows a
	// single object or an array; both become a slice, and LinkArrays remembers
	// which rels were written as arrays so that encoding keeps the shape.
	Links      map[string][]Link
	LinkArrays map[string]bool
	// Embedded maps a relation to its embedded resources. EmbeddedArrays works
	// like LinkArrays. Parsed resources use their ancestors' CURIEs; a Document
	// added here in code does not.
	Embedded       map[string][]*Document
	EmbeddedArrays map[string]bool
	// Templates are the HAL-FORMS _templates by name ("default").
	Templates map[string]Template
	// Properties are the other members, as raw JSON.
	Properties map[string]json.RawMessage
	// Problems lists, on the root document only, everything Parse found wrong
	// anywhere in the document, each located by a JSON pointer.
	Problems []Problem

	parent *Document // for inherited CURIEs; nil at the root
	keys   []string  // member names in document order, for PropertyNames and encoding
	rels   []string  // _links rels in document order
	embRel []string  // _embedded rels in document order
	tpls   []string  // _templates names in document order
}

// Link is a HAL Link Object.
type Link struct {
	Href        string
	Templated   bool
	Type        string
	Deprecation string
	Name        string
	Profile     string
	Title       string
	Hreflang    string
	// Unsafe is set when the href (or the deprecation or profile URL) has a
	// scheme other than http or https, or characters that browsers strip. Such a
	// link is kept so that it can be reported and shown, but it must never be
	// followed or rendered as a hyperlink. Expand refuses it.
	Unsafe bool
	// Extra holds attributes HAL does not define. Encoding writes them back.
	Extra map[string]json.RawMessage

	keys []string
}

// Template is a HAL-FORMS template: how to build a request that acts on the
// resource.
type Template struct {
	Title       string
	Method      string // as written; RequestMethod applies the defaults
	ContentType string // as written; RequestContentType applies the defaults
	Target      string // "" means the document's self link
	Properties  []Property
	// Unsafe is set when Target is not a relative or http(s) URL.
	Unsafe bool
	Extra  map[string]json.RawMessage

	keys []string
}

// Property is one field of a HAL-FORMS template.
type Property struct {
	Name        string
	Prompt      string
	Placeholder string
	Type        string // an HTML input type: "text", "email", "number", ...
	Regex       string
	Value       string
	Required    bool
	ReadOnly    bool
	Templated   bool // Value is a URI template
	Min, Max    *float64
	Step        *float64
	MinLength   int
	MaxLength   int
	Cols, Rows  int
	Options     *PropertyOptions
	Extra       map[string]json.RawMessage

	keys []string
}

// PropertyOptions are the values a property may take: Inline ones, or the ones
// behind Link.
type PropertyOptions struct {
	Inline         []Option
	Link           *Link
	PromptField    string
	ValueField     string
	SelectedValues []string
	MinItems       int
	MaxItems       int
	Extra          map[string]json.RawMessage

	keys []string
}

// Option is one inline option. An option written as a bare string has the same
// Prompt and Value, and is written back as a string.
type Option struct {
	Prompt string
	Value  string
	Extra  map[string]json.RawMessage

	plain bool
	keys  []string
}

// Problem is one thing wrong in a document.
type Problem struct {
	// Pointer locates the value as a JSON pointer (RFC 6901), such as
	// "/_links/evil/href". It is "" for the document itself.
	Pointer string
	Message string
}

func (p Problem) String() string {
	if p.Pointer == "" {
		return "document: " + p.Message
	}
	return p.Pointer + ": " + p.Message
}

// Link returns the first link of rel.
func (d *Document) Link(rel string) (Link, bool) {
	if ls := d.Links[rel]; len(ls) > 0 {
		return ls[0], true
	}
	return Link{}, false
}

// PropertyNames lists the keys of Properties in document order, then any added
// since parsing, sorted.
func (d *Document) PropertyNames() []string {
	return ordered(d.keys, d.Properties)
}

// RequestMethod is the HTTP method to use, upper-cased. HAL-FORMS says an empty
// or unknown method is GET.
func (t Template) RequestMethod() string {
	m := strings.ToUpper(t.Method)
	if m == "" || strings.IndexFunc(m, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
		return "GET"
	}
	return m
}

// RequestContentType is the media type of the request body, application/json
// when the template does not say.
func (t Template) RequestContentType() string {
	if t.ContentType == "" {
		return "application/json"
	}
	return t.ContentType
}

// ordered returns the keys of m: first those in order, then the rest sorted.
func ordered[V any](order []string, m map[string]V) []string {
	out := make([]string, 0, len(m))
	seen := make(map[string]bool, len(m))
	for _, k := range order {
		if _, ok := m[k]; ok && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// isTokenChar reports whether r may appear in an HTTP method (RFC 9110 token).
func isTokenChar(r rune) bool {
	return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' ||
		strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}
