package httpcache

import (
	"net/http"
	"sort"
	"time"
)

// EntryView is the admin API's picture of one stored response.
type EntryView struct {
	Key        string            `json:"key"`
	Status     int               `json:"status"`
	Vary       map[string]string `json:"vary,omitempty"` // selecting header -> normalised request value
	Age        time.Duration     `json:"age"`
	TTL        time.Duration     `json:"ttl"` // negative when stale
	Fresh      bool              `json:"fresh"`
	Bytes      int64             `json:"bytes"`
	Tags       []string          `json:"tags,omitempty"`
	Header     http.Header       `json:"header"`
	StoredAt   time.Time         `json:"stored_at"`
	Directives string            `json:"cache_control"`
}

// View describes e as of now.
func (e *Entry) View(now time.Time) EntryView {
	v := EntryView{
		Key: e.Key, Status: e.Status, Age: e.Age(now), TTL: e.TTL(now), Fresh: e.Fresh(now),
		Bytes: e.Weight(), Tags: e.Tags, Header: e.Header.Clone(), StoredAt: e.ResponseTime,
		Directives: e.cc.String(),
	}
	if len(e.VaryNames) > 0 {
		v.Vary = make(map[string]string, len(e.VaryNames))
		for i, n := range e.VaryNames {
			v.Vary[n] = e.VaryValues[i]
		}
	}
	return v
}

// Inspect describes every variant stored under key, newest first.
func (s *Store) Inspect(key string, now time.Time) []EntryView {
	var out []EntryView
	for _, e := range s.Variants(key) {
		out = append(out, e.View(now))
	}
	return out
}

// Keys lists the primary keys held, sorted, optionally only those starting
// with prefix; for the admin API.
func (s *Store) Keys(prefix string) []string {
	var out []string
	for k := range s.cache.Keys() {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
