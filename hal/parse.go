package hal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Parser holds the bounds of Parse. Its zero value uses the defaults.
type Parser struct {
	// MaxDepth is how many levels of _embedded are read; deeper resources are
	// dropped with a problem. Zero means 32.
	MaxDepth int
	// MaxLinks is how many links one resource may have, curies included; the
	// rest are dropped with a problem. Zero means 1000.
	MaxLinks int
	// MaxResources is how many embedded resources the whole document may
	// have, at every level together; the rest are dropped with a problem.
	// Zero means 10,000.
	MaxResources int
	// MaxTotalLinks is how many links the whole document may have, every
	// embedded resource's included; the rest are dropped with a problem.
	// Zero means 100,000.
	MaxTotalLinks int
}

const maxProblems = 200

// Parse reads a HAL or HAL-FORMS document with the default bounds.
func Parse(data []byte) (*Document, error) { return Parser{}.Parse(data) }

// Parse reads a HAL or HAL-FORMS document. It fails only when data is not JSON
// (a *SyntaxError with line and column) or not a JSON object (ErrNotObject).
// Anything else wrong is listed in the document's Problems. The document keeps
// no reference to data.
func (c Parser) Parse(data []byte) (*Document, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a BOM is not JSON, but some producers send one
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, locate(data, se)
		}
		return nil, fmt.Errorf("parsing HAL document: %w", err)
	}
	raw := bytes.Trim(data, " \t\r\n")
	if k := kind(raw); k != "an object" {
		return nil, fmt.Errorf("%w: the top level is %s, not an object", ErrNotObject, k)
	}
	p := &parser{maxDepth: c.MaxDepth, maxLinks: c.MaxLinks, maxResources: c.MaxResources, maxTotalLinks: c.MaxTotalLinks}
	if p.maxDepth <= 0 {
		p.maxDepth = 32
	}
	// Rewriting and encoding refuse documents deeper than maxWalkDepth; a
	// parsed one never is.
	p.maxDepth = min(p.maxDepth, maxWalkDepth-1)
	if p.maxLinks <= 0 {
		p.maxLinks = 1000
	}
	if p.maxResources <= 0 {
		p.maxResources = 10000
	}
	p.maxResources = min(p.maxResources, maxWalkResources-1)
	if p.maxTotalLinks <= 0 {
		p.maxTotalLinks = 100000
	}
	doc := p.document(raw, "", 0, nil)
	doc.Problems = p.problems
	if p.unlisted > 0 {
		doc.Problems = append(doc.Problems, Problem{Message: fmt.Sprintf("%d more problems are not listed", p.unlisted)})
	}
	return doc, nil
}

// parser collects problems while it walks one document.
type parser struct {
	maxDepth, maxLinks          int
	maxResources, maxTotalLinks int
	resources, totalLinks       int  // read so far, in the whole document
	resourcesFull, linksFull    bool // the cut has been reported
	problems                    []Problem
	unlisted                    int
}

func (p *parser) problem(ptr, format string, args ...any) {
	if len(p.problems) >= maxProblems {
		p.unlisted++
		return
	}
	p.problems = append(p.problems, Problem{Pointer: ptr, Message: fmt.Sprintf(format, args...)})
}

// document reads one resource; raw is known to be an object.
func (p *parser) document(raw json.RawMessage, ptr string, depth int, parent *Document) *Document {
	d := &Document{parent: parent, Properties: map[string]json.RawMessage{}}
	for _, m := range p.members(ptr, raw) {
		d.keys = append(d.keys, m.key)
		mptr := ptr + "/" + escape(m.key)
		switch {
		case m.key == "_links" && !isNull(m.val):
			p.links(d, m.val, mptr)
		case m.key == "_embedded" && !isNull(m.val):
			p.embedded(d, m.val, mptr, depth)
		case m.key == "_templates" && !isNull(m.val):
			p.templates(d, m.val, mptr)
		case m.key == "_links" || m.key == "_embedded" || m.key == "_templates":
			// null: the same as absent (some serializers write empty members as null)
		default:
			d.Properties[m.key] = m.val
		}
	}
	return d
}

// embedded reads _embedded: each rel holds a resource or an array of them.
func (p *parser) embedded(d *Document, raw json.RawMessage, ptr string, depth int) {
	if depth >= p.maxDepth {
		p.problem(ptr, "embedded resources nested deeper than %d levels are dropped", p.maxDepth)
		return
	}
	ms, ok := p.object(ptr, raw)
	if !ok {
		return
	}
	d.Embedded = make(map[string][]*Document, len(ms))
	for _, m := range ms {
		rptr := ptr + "/" + escape(m.key)
		items, array, ok := p.oneOrMany(rptr, m.val, "an embedded resource")
		if !ok {
			continue
		}
		docs := make([]*Document, 0, len(items))
		for i, item := range items {
			iptr := itemPointer(rptr, i, array)
			if k := kind(item); k != "an object" {
				p.problem(iptr, "an embedded resource is an object, not %s", k)
				continue
			}
			if p.resources >= p.maxResources {
				if !p.resourcesFull {
					p.problem(iptr, "more than %d embedded resources in the document; the rest are dropped", p.maxResources)
					p.resourcesFull = true
				}
				break
			}
			p.resources++
			docs = append(docs, p.document(item, iptr, depth+1, d))
		}
		d.Embedded[m.key] = docs
		d.embRel = append(d.embRel, m.key)
		if array {
			if d.EmbeddedArrays == nil {
				d.EmbeddedArrays = map[string]bool{}
			}
			d.EmbeddedArrays[m.key] = true
		}
	}
}

// oneOrMany accepts an object or an array, as HAL allows for both links and
// embedded resources, and returns the items and whether it was an array.
func (p *parser) oneOrMany(ptr string, raw json.RawMessage, what string) ([]json.RawMessage, bool, bool) {
	switch k := kind(raw); k {
	case "an object":
		return []json.RawMessage{raw}, false, true
	case "an array":
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			p.problem(ptr, "reading the array: %v", err)
			return nil, false, false
		}
		return items, true, true
	default:
		p.problem(ptr, "%s is an object or an array of objects, not %s", what, k)
		return nil, false, false
	}
}

func itemPointer(ptr string, i int, array bool) string {
	if !array {
		return ptr
	}
	return fmt.Sprintf("%s/%d", ptr, i)
}

type member struct {
	key string
	val json.RawMessage
}

// object returns the members of raw, or reports that it is not an object.
func (p *parser) object(ptr string, raw json.RawMessage) ([]member, bool) {
	if k := kind(raw); k != "an object" {
		p.problem(ptr, "want an object, not %s", k)
		return nil, false
	}
	return p.members(ptr, raw), true
}

// members returns an object's members in document order. A duplicate key is
// reported and the last one wins, as in encoding/json.
func (p *parser) members(ptr string, raw json.RawMessage) []member {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'; raw was validated by Parse
		return nil
	}
	var ms []member
	at := map[string]int{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ms
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return ms
		}
		if i, dup := at[key]; dup {
			p.problem(ptr+"/"+escape(key), "duplicate key; the last value is used")
			ms[i].val = val
			continue
		}
		at[key] = len(ms)
		ms = append(ms, member{key, val})
	}
	return ms
}

// kind names the JSON type of raw for messages ("an object", "a string").
func kind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isNull(raw []byte) bool { return kind(raw) == "null" }

// escape makes a key one JSON pointer reference token (RFC 6901).
func escape(key string) string {
	if !strings.ContainsAny(key, "~/") {
		return key
	}
	return pointerEscaper.Replace(key)
}

// pointerEscaper is built once (a strings.Replacer is safe for concurrent
// use); one per key was garbage for every link of every document.
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")
