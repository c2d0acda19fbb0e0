package gateway

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The admin API's view of admission: which consumers exist, what each may
// do, and what each has done since the gateway started; and per service,
// what its routes enforce. Usage is counted for the consumers the file
// names only: a JWT's subject is whatever its issuer wrote, and counting
// every one would let callers grow the gateway's memory.

// consumerUsage counts one configured consumer's requests.
type consumerUsage struct {
	authenticated, limited atomic.Uint64
	last                   atomic.Int64 // unix nanoseconds of the last admitted request
}

// usage holds the counts by consumer name; entries are made for configured
// names only, so it is bounded by the file.
type usage struct{ m sync.Map } // name → *consumerUsage

func (u *usage) of(name string) *consumerUsage {
	if c, ok := u.m.Load(name); ok {
		return c.(*consumerUsage)
	}
	c, _ := u.m.LoadOrStore(name, &consumerUsage{})
	return c.(*consumerUsage)
}

// ConsumerView is one consumer as GET /api/v1/consumers shows it: never a
// key or a hash, only how many there are.
type ConsumerView struct {
	Name      string `json:"name"`
	APIKeys   int    `json:"api_keys"`
	Password  bool   `json:"password"`
	RateLimit string `json:"rate_limit,omitempty"`
	// Authenticated counts the requests its credentials admitted since the
	// gateway started, Limited those of them its rate limit then refused;
	// LastSeen is the last authenticated one's time.
	Authenticated uint64     `json:"authenticated"`
	Limited       uint64     `json:"limited"`
	LastSeen      *time.Time `json:"last_seen,omitempty"`
}

// consumersView lists the configured consumers, by name.
func (g *Gateway) consumersView() []ConsumerView {
	st := g.state.Load()
	out := make([]ConsumerView, 0, len(st.cfg.Consumers))
	for _, name := range slices.Sorted(maps.Keys(st.cfg.Consumers)) {
		c := st.cfg.Consumers[name]
		u := g.admitters.usage.of(name)
		v := ConsumerView{Name: name, APIKeys: len(c.APIKeys), Password: c.Password != "",
			RateLimit: c.RateLimit.String(), Authenticated: u.authenticated.Load(), Limited: u.limited.Load()}
		if ns := u.last.Load(); ns != 0 {
			t := time.Unix(0, ns).UTC()
			v.LastSeen = &t
		}
		out = append(out, v)
	}
	return out
}

// admissionsView is every routed service's admission, by name.
func (g *Gateway) admissionsView() []AdmissionView {
	st := g.state.Load()
	out := make([]AdmissionView, 0, st.services.Len())
	for _, name := range slices.Sorted(st.services.Keys()) {
		out = append(out, admissionView(name, &st.service(name).policy))
	}
	return out
}

// countAdmitted notes a configured consumer's admitted request.
func (g *Gateway) countAdmitted(st *state, name string) {
	if _, ok := st.cfg.Consumers[name]; !ok || name == "" {
		return
	}
	u := g.admitters.usage.of(name)
	u.authenticated.Add(1)
	u.last.Store(time.Now().UnixNano())
}

// countLimited notes a configured consumer's refused request.
func (g *Gateway) countLimited(st *state, name string) {
	if _, ok := st.cfg.Consumers[name]; !ok || name == "" {
		return
	}
	g.admitters.usage.of(name).limited.Add(1)
}
