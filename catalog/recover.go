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

// indexSafely gives e its search items, unless it has them. When indexing
// panics, e is replaced by a copy marked as errored, without items, and the
// panic is logged: the service drops out of search and every other service
// stays. e must not be shared with readers yet.
func indexSafely(log *slog.Logger, e *Entry) (out *Entry) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("indexing a service's document panicked", "service", e.Service, "panic", v, "stack", string(debug.Stack()))
			failed := *e
			failed.items = nil
			failed.Error = fmt.Sprintf("the document could not be indexed: internal error: %v", v)
			out = &failed
		}
	}()
	if e.items == nil { // an unchanged document brings its items along (sameDocument)
		e.items = itemsOf(e.Service, e)
	}
	return e
}
