package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/bulwark-gw/bulwark/discovery"
)

// A service's document is someone else's input, and the code that reads it
// (kin-openapi, the HAL parser, the search index) is large. A panic there
// must cost that one service its document, never the gateway: every
// goroutine and step that handles a document recovers, logs the panic with
// its stack, and marks the service's entry as errored, while the other
// services are fetched and indexed as usual.
//
// A stack overflow cannot be recovered (the runtime ends the process), so
// this is the second line: the walkers in openapi and hal are bounded in
// depth and size, and that is what keeps recursion finite.

// fetchSafely is fetchService that turns a panic into an errored entry.
func (c *Catalog) fetchSafely(ctx context.Context, name string, route Route, snap *discovery.Snapshot) (e *Entry) {
	defer func() {
		if v := recover(); v != nil {
			c.log.Error("reading a service's document panicked", "service", name, "panic", v, "stack", string(debug.Stack()))
			e = &Entry{Service: name, Error: fmt.Sprintf("the document could not be read: internal error: %v", v)}
		}
	}()
	return c.fetchService(ctx, name, route, snap)
}

// buildIndex indexes every entry, each on its own: an entry whose indexing
// panics is left out of the index, replaced in entries by a copy marked as
// errored, and logged. entries must not be shared with readers yet.
func buildIndex(log *slog.Logger, entries map[string]*Entry) *searchIndex {
	ix := &searchIndex{}
	for _, name := range sortedKeys(entries) {
		func() {
			n := len(ix.items)
			defer func() {
				if v := recover(); v != nil {
					ix.items = ix.items[:n]
					log.Error("indexing a service's document panicked", "service", name, "panic", v, "stack", string(debug.Stack()))
					failed := *entries[name]
					failed.Error = fmt.Sprintf("the document could not be indexed: internal error: %v", v)
					entries[name] = &failed
				}
			}()
			ix.add(name, entries[name])
		}()
	}
	return ix
}
