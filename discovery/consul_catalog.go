package discovery

import (
	"bytes"
	"sync"
)

// catalog is the service list as the catalog watch last read it. Consul
// sends the whole list on every registration and deregistration; at a
// thousand services, building a fresh map of every name for each one was
// most of what such a change allocated (62 KiB), and Run then walked all
// of it three times. read compares each answer's names, as views of the
// answer, with the names it holds: a list in which one service changed
// costs one scan, no allocation for the names it already knew, and hands
// Run that one change.
type catalog struct {
	names map[string]*catalogMark
	gen   uint64       // this answer's mark; a name not marked with it has left
	views [][]byte     // the last answer's names, reused for the next
	buf   bytes.Buffer // the answers are read into, kept for the next
}

// catalogMark is where read marks a name as present in the answer it reads:
// through a pointer, so marking a known name needs no map assignment (and
// no string for its key).
type catalogMark struct{ gen uint64 }

// read takes a service list answer and returns the names it adds and
// removes. A list that is not what Consul sends changes nothing and
// returns the error. Consul's own service ("consul", its servers) is never
// an upstream and is left out.
func (c *catalog) read(b []byte) (added, removed []string, err error) {
	views, err := scanServiceNames(b, c.views[:0])
	defer func() {
		clear(views) // they point into b, which the caller reuses
		c.views = views[:0]
	}()
	if err != nil {
		return nil, nil, err
	}
	if c.names == nil {
		c.names = make(map[string]*catalogMark, len(views))
	}
	c.gen++
	for _, v := range views {
		if m := c.names[string(v)]; m != nil {
			m.gen = c.gen
			continue
		}
		if string(v) == "consul" {
			continue
		}
		name := string(v)
		c.names[name] = &catalogMark{c.gen}
		added = append(added, name)
	}
	for name, m := range c.names {
		if m.gen != c.gen {
			removed = append(removed, name)
			delete(c.names, name)
		}
	}
	return added, removed, nil
}

// catalogFeed carries the catalog watch's changes to Run: for each name
// that changed since Run last took them, whether it is in the catalog now.
// A later change to a name replaces an earlier one, so a Run that falls
// behind sees where the catalog is, not its history: a service
// deregistered and registered again before Run looked keeps its watch.
type catalogFeed struct {
	mu      sync.Mutex
	pending map[string]bool
	ready   chan struct{} // one slot: set when there is something to take
}

func newCatalogFeed() *catalogFeed {
	return &catalogFeed{pending: map[string]bool{}, ready: make(chan struct{}, 1)}
}

// push records an answer's changes and wakes Run, even for an answer that
// changed no name: the first answer, empty or not, is what start-up waits
// for.
func (f *catalogFeed) push(added, removed []string) {
	f.mu.Lock()
	for _, name := range added {
		f.pending[name] = true
	}
	for _, name := range removed {
		f.pending[name] = false
	}
	f.mu.Unlock()
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// take returns the changes pushed since the last take.
func (f *catalogFeed) take() map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	changes := f.pending
	f.pending = make(map[string]bool, len(changes)/2)
	return changes
}
