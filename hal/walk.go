package hal

import "fmt"

// Bounds of every walk over a Document's tree of embedded resources
// (rewriting, encoding). A parsed document is a tree within Parser's
// limits, which are below these; but a Document is a plain struct, and code
// may embed a document in itself or build a chain deeper than any stack. So
// each walk keeps the documents on its current path (a repeat is a cycle,
// and is refused or skipped), stops at maxWalkDepth levels, and visits at
// most maxWalkResources documents in all. None of them recurses otherwise.
const (
	maxWalkDepth     = 256
	maxWalkResources = 200000
)

// docWalk is one bounded walk: the path from the root and a budget.
type docWalk struct {
	path    []*Document
	visited int
}

// enter says whether the walk may go into d ("" when it may, and then the
// caller must call leave), or why not.
func (w *docWalk) enter(d *Document) string {
	for _, p := range w.path {
		if p == d {
			return "the document contains itself"
		}
	}
	switch {
	case len(w.path) >= maxWalkDepth:
		return fmt.Sprintf("embedded resources are nested deeper than %d levels", maxWalkDepth)
	case w.visited >= maxWalkResources:
		return fmt.Sprintf("the document has more than %d embedded resources", maxWalkResources)
	}
	w.visited++
	w.path = append(w.path, d)
	return ""
}

func (w *docWalk) leave() { w.path = w.path[:len(w.path)-1] }
