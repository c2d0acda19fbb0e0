package discovery

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// ConsulStatus is what the Consul source reports about itself: for the admin
// API (GET /api/v1/discovery) and the discovery metrics.
type ConsulStatus struct {
	Address string `json:"address"`
	// Stale is true while any watch's last query failed: routing keeps the last
	// instances it received, which may no longer be true.
	Stale       bool   `json:"stale"`
	StaleReason string `json:"stale_reason,omitempty"`
	// Version of the last published snapshot, and when it was published.
	Version       uint64        `json:"version"`
	LastPublished time.Time     `json:"last_published,omitzero"`
	Errors        uint64        `json:"errors_total"`
	Watches       []WatchStatus `json:"watches"`
}

// WatchStatus is one blocking-query watch: the service list, or one service in
// one datacenter.
type WatchStatus struct {
	Name        string    `json:"name"`
	Index       uint64    `json:"index"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	// LastChange is when an answer last changed what routing uses.
	LastChange time.Time `json:"last_change,omitzero"`
	// Failing counts consecutive failed queries; LastError is the latest one.
	Failing   int       `json:"failing,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"error_at,omitzero"`
	// Problems are the registrations this watch skipped or corrected.
	Problems []string `json:"problems,omitempty"`
}

// consulStatus is the mutable status behind ConsulStatus; the watch goroutines
// write it, the admin API and metrics read it.
type consulStatus struct {
	mu        sync.Mutex
	address   string
	version   uint64
	lastPub   time.Time
	errors    uint64
	watches   map[string]*watchStatus
	catalogOK bool
}

// watchStatus is one watch's entry; its methods lock the parent.
type watchStatus struct {
	parent *consulStatus
	name   string
	s      WatchStatus
}

func newConsulStatus(addr string) *consulStatus {
	return &consulStatus{address: addr, watches: map[string]*watchStatus{}}
}

func (c *consulStatus) watch(name string) *watchStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.watches[name]
	if w == nil {
		w = &watchStatus{parent: c, name: name, s: WatchStatus{Name: name}}
		c.watches[name] = w
	}
	return w
}

func (c *consulStatus) unwatch(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.watches, name)
}

func (c *consulStatus) published(version uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version, c.lastPub = version, time.Now()
}

func (c *consulStatus) catalogSeen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.catalogOK
}

func (w *watchStatus) failed(err error) {
	w.parent.mu.Lock()
	defer w.parent.mu.Unlock()
	w.parent.errors++
	w.s.Failing++
	w.s.LastError = err.Error()
	w.s.ErrorAt = time.Now()
}

func (w *watchStatus) succeeded(index uint64) {
	w.parent.mu.Lock()
	defer w.parent.mu.Unlock()
	w.s.Failing = 0
	w.s.Index = index
	w.s.LastSuccess = time.Now()
}

// seen marks an answer that changed something.
func (w *watchStatus) seen() {
	w.parent.mu.Lock()
	defer w.parent.mu.Unlock()
	w.s.LastChange = time.Now()
	if w.name == "catalog" {
		w.parent.catalogOK = true
	}
}

func (w *watchStatus) setProblems(p []string) {
	w.parent.mu.Lock()
	defer w.parent.mu.Unlock()
	if !slices.Equal(w.s.Problems, p) {
		w.s.LastChange = time.Now()
	}
	w.s.Problems = p
}

func (c *consulStatus) view() ConsulStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := ConsulStatus{Address: c.address, Version: c.version, LastPublished: c.lastPub, Errors: c.errors}
	var failing []string
	for _, w := range c.watches {
		v.Watches = append(v.Watches, w.s)
		if w.s.Failing > 0 {
			failing = append(failing, w.name)
		}
	}
	sort.Slice(v.Watches, func(i, j int) bool { return v.Watches[i].Name < v.Watches[j].Name })
	switch {
	case !c.catalogOK:
		v.Stale, v.StaleReason = true, "no answer from Consul yet"
	case len(failing) > 0:
		slices.Sort(failing)
		if len(failing) > 3 {
			failing = append(failing[:3], fmt.Sprintf("and %d more", len(failing)-3))
		}
		v.Stale, v.StaleReason = true, "failing: "+strings.Join(failing, ", ")
	}
	return v
}
