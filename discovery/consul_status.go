package discovery

import (
	"fmt"
	"maps"
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
	Version       uint64    `json:"version"`
	LastPublished time.Time `json:"last_published,omitzero"`
	Errors        uint64    `json:"errors_total"`
	// ErrorsByWatch splits Errors by the kind of watch that failed: "catalog"
	// (the service list) and "service" (one service's health).
	ErrorsByWatch map[string]uint64 `json:"errors_by_watch"`
	// DownSince is when the current outage began: the first failed query
	// while every watch was answering. Zero while none is failing.
	DownSince time.Time `json:"down_since,omitzero"`
	// WatchCount is the number of watches, and ProblemCount the number of
	// registration problems over all of them: Summary has them without the
	// list below.
	WatchCount   int `json:"watch_count"`
	ProblemCount int `json:"problem_count"`
	// Watches is every watch, by name; Summary leaves it out.
	Watches []WatchStatus `json:"watches"`
}

// Watch kinds, for ErrorsByWatch and the watch_errors metric.
const (
	WatchCatalog = "catalog"
	WatchService = "service"
)

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
	byKind    map[string]uint64
	watches   map[string]*watchStatus
	catalogOK bool
	// failing counts the watches in watches whose last query failed; the
	// outage of discovery as a whole lasts while it is above zero, from
	// downSince, and failedInOutage counts its failed queries.
	failing        int
	downSince      time.Time
	failedInOutage uint64
}

// watchStatus is one watch's entry; its methods lock the parent.
type watchStatus struct {
	parent *consulStatus
	name   string
	kind   string
	s      WatchStatus
	// detached is set once the entry left watches: its late results no
	// longer count towards the outage.
	detached bool
	// refs counts the watches holding the entry: a service deregistered and
	// registered again starts its new watch before the old one has ended,
	// and the old one's unwatch must not take the entry from the new.
	refs int
}

// outage is a change of discovery as a whole between answering and failing,
// for the one log line each gets: a watch failing while all others answer
// begins one, the last failing watch answering (or going away) ends it.
type outage struct {
	began, ended bool
	watch, err   string        // the failure that began it
	downFor      time.Duration // how long it lasted
	failed       uint64        // queries that failed during it
}

func newConsulStatus(addr string) *consulStatus {
	return &consulStatus{address: addr, watches: map[string]*watchStatus{},
		byKind: map[string]uint64{WatchCatalog: 0, WatchService: 0}}
}

func (c *consulStatus) watch(name string) *watchStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.watches[name]
	if w == nil {
		kind := WatchService
		if name == WatchCatalog {
			kind = WatchCatalog
		}
		w = &watchStatus{parent: c, name: name, kind: kind, s: WatchStatus{Name: name}}
		c.watches[name] = w
	}
	w.refs++
	return w
}

// unwatch removes a stopped watch; a failing one stops counting, which may
// end the outage (Consul came back without the service).
func (c *consulStatus) unwatch(name string) outage {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.watches[name]
	if w == nil {
		return outage{}
	}
	if w.refs--; w.refs > 0 {
		return outage{} // another watch of the name runs on
	}
	delete(c.watches, name)
	w.detached = true
	if w.s.Failing > 0 {
		return c.recovering()
	}
	return outage{}
}

// recovering is called with mu held when one failing watch stops failing.
func (c *consulStatus) recovering() outage {
	c.failing--
	if c.failing > 0 || c.downSince.IsZero() {
		return outage{}
	}
	o := outage{ended: true, downFor: time.Since(c.downSince), failed: c.failedInOutage}
	c.downSince, c.failedInOutage = time.Time{}, 0
	return o
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

// failed records a failed query; it begins an outage when every other
// watch was answering.
func (w *watchStatus) failed(err error) outage {
	c := w.parent
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errors++
	c.byKind[w.kind]++
	w.s.Failing++
	w.s.LastError = err.Error()
	w.s.ErrorAt = time.Now()
	if w.detached {
		return outage{}
	}
	c.failedInOutage++
	if w.s.Failing > 1 {
		return outage{}
	}
	c.failing++
	if c.failing > 1 || !c.downSince.IsZero() {
		return outage{}
	}
	c.downSince, c.failedInOutage = w.s.ErrorAt, 1
	return outage{began: true, watch: w.name, err: w.s.LastError}
}

// succeeded records an answer; it ends the outage when this watch was the
// last one failing.
func (w *watchStatus) succeeded(index uint64) outage {
	c := w.parent
	c.mu.Lock()
	defer c.mu.Unlock()
	wasFailing := w.s.Failing > 0
	w.s.Failing = 0
	w.s.Index = index
	w.s.LastSuccess = time.Now()
	if !wasFailing || w.detached {
		return outage{}
	}
	return c.recovering()
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

// setProblems records the watch's current problems and returns those it did
// not have before: a registration problem is logged when it appears, not
// again with every later answer (a bad instance would otherwise repeat its
// warning at each health change of its service's other instances).
func (w *watchStatus) setProblems(p []string) (appeared []string) {
	w.parent.mu.Lock()
	defer w.parent.mu.Unlock()
	if !slices.Equal(w.s.Problems, p) {
		w.s.LastChange = time.Now()
		for _, q := range p {
			if !slices.Contains(w.s.Problems, q) {
				appeared = append(appeared, q)
			}
		}
	}
	w.s.Problems = p
	return appeared
}

func (c *consulStatus) view() ConsulStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.summary()
	v.Watches = make([]WatchStatus, 0, len(c.watches))
	for _, w := range c.watches {
		v.Watches = append(v.Watches, w.s)
	}
	sort.Slice(v.Watches, func(i, j int) bool { return v.Watches[i].Name < v.Watches[j].Name })
	return v
}

// summary is the status without the per-watch list; c.mu is held.
func (c *consulStatus) summary() ConsulStatus {
	v := ConsulStatus{Address: c.address, Version: c.version, LastPublished: c.lastPub, Errors: c.errors,
		ErrorsByWatch: maps.Clone(c.byKind), DownSince: c.downSince, WatchCount: len(c.watches)}
	var failing []string
	for _, w := range c.watches {
		v.ProblemCount += len(w.s.Problems)
		if w.s.Failing > 0 {
			failing = append(failing, w.name)
		}
	}
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
