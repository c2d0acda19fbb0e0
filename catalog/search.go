package catalog

import (
	"slices"
	"sort"
	"strings"
)

// Hit is one search result: an operation, a schema or a link relation of a
// service, with what the portal needs to link to it.
type Hit struct {
	Service string `json:"service"`
	Kind    string `json:"kind"` // "operation", "schema", "link"
	// Slug is the operation's stable slug, or the schema's name.
	Slug    string `json:"slug"`
	Method  string `json:"method,omitempty"`
	Path    string `json:"path,omitempty"`
	Summary string `json:"summary,omitempty"`
	score   int
}

// indexed is one searchable item: its hit and the lowercased text matched.
type indexed struct {
	hit  Hit
	text string
	// strong is matched first: names and paths outrank descriptions.
	strong string
}

// itemsOf is what search matches in one service's entry: its HAL root's
// relations, its operations and its schemas' names. Nothing here walks a
// schema: names and operations are flat lists, so this is linear in the
// document. It runs once per entry, when the entry is fetched (view.with):
// a change to one service indexes that service only.
func itemsOf(name string, e *Entry) []indexed {
	var items []indexed
	if e.HAL != nil {
		for _, rel := range e.HAL.Rels() {
			title := ""
			if len(rel.Links) > 0 {
				title = rel.Links[0].Title
			}
			items = append(items, indexed{hit: Hit{Service: name, Kind: "link", Slug: rel.Name, Summary: title},
				strong: strings.ToLower(rel.Name + " " + name), text: strings.ToLower(title)})
		}
	}
	if e.Doc == nil {
		return items
	}
	for _, op := range e.Doc.Operations {
		strong := strings.ToLower(strings.Join([]string{op.OperationID, op.Method, op.Path, name}, " "))
		text := strings.ToLower(strings.Join(append(append([]string{op.Summary}, op.Tags...), op.Parameters...), " "))
		items = append(items, indexed{hit: Hit{Service: name, Kind: "operation", Slug: op.Slug,
			Method: op.Method, Path: op.Path, Summary: op.Summary}, text: text, strong: strong})
	}
	if e.Doc.T != nil && e.Doc.T.Components != nil {
		for _, s := range sortedKeys(e.Doc.T.Components.Schemas) {
			items = append(items, indexed{hit: Hit{Service: name, Kind: "schema", Slug: s},
				strong: strings.ToLower(s + " " + name)})
		}
	}
	return items
}

// search returns up to limit hits containing every term of q, best first:
// a term in a name or path counts three times one in a summary, tag or
// parameter. A linear scan over precomputed lowercase text answers well
// under a millisecond for thousands of operations, which an inverted index
// would only complicate.
func (v *view) search(q string, limit int) []Hit {
	terms := strings.Fields(strings.ToLower(q))
	if len(terms) == 0 {
		return nil
	}
	var hits []Hit
	for _, e := range v.entries {
		hits = e.match(terms, hits)
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].score > hits[b].score })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// match appends to hits the entry's items that contain every term.
func (e *Entry) match(terms []string, hits []Hit) []Hit {
	for i := range e.items {
		it := &e.items[i]
		score := 0
		for _, t := range terms {
			switch {
			case strings.Contains(it.strong, t):
				score += 3
			case strings.Contains(it.text, t):
				score++
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score > 0 {
			h := it.hit
			h.score = score
			hits = append(hits, h)
		}
	}
	return hits
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
