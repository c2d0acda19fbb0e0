package gateway

import (
	"net/url"
	"sync/atomic"

	"github.com/bulwark-gw/bulwark/discovery"
)

// Upstream is one instance of a service as the gateway sees it: its address and
// weight from discovery plus the live state the gateway keeps (requests in flight).
// An Upstream outlives snapshots: when a new snapshot lists the same instance
// address, the pool reuses the same *Upstream so counters carry over.
type Upstream struct {
	Service string
	Addr    string
	Weight  int // >= 1
	// url is the target handed to ReverseProxy (http://Addr), built once.
	url *url.URL
	// inflight counts requests currently sent to this instance.
	inflight atomic.Int64
	// Outlier ejection state (outlier.go): consecutive failed attempts, the
	// end of the current ejection (monoNow's clock, 0 when never ejected) and how many
	// times it was ejected, which lengthens the next ejection.
	fails        atomic.Int32
	ejectedUntil atomic.Int64
	ejections    atomic.Int32
}

// InFlight returns the number of requests currently in flight to the instance.
func (u *Upstream) InFlight() int64 { return u.inflight.Load() }

// Acquire marks a request as started; Release marks it done.
func (u *Upstream) Acquire() { u.inflight.Add(1) }

// Release marks a request as done.
func (u *Upstream) Release() { u.inflight.Add(-1) }

// Available says whether the instance may receive a request now: false while
// outlier detection has it ejected. (Discovery health removes an instance from
// the pool instead, and the breaker and bulkhead guard the whole service.)
func (u *Upstream) Available() bool {
	until := u.ejectedUntil.Load()
	return until == 0 || monoNow() >= until
}

// Pool is the immutable set of a service's routable instances at one moment.
type Pool struct {
	Service   string
	Upstreams []*Upstream // sorted by Addr; never modified after creation
}

// newUpstreams builds upstreams for the passing instances of a service, reusing
// entries of prev (keyed by address) so in-flight counts survive a snapshot change.
func newUpstreams(service, scheme string, instances []discovery.Instance, prev map[string]*Upstream) []*Upstream {
	out := make([]*Upstream, 0, len(instances))
	for _, in := range instances {
		if in.Health == discovery.Critical {
			continue
		}
		u := prev[in.Addr]
		if u == nil || u.Weight != in.EffectiveWeight() || u.url.Scheme != scheme {
			// A new weight makes a new Upstream; requests in flight on the old one
			// release their count there, so it is not carried over.
			u = &Upstream{Service: service, Addr: in.Addr, Weight: in.EffectiveWeight(),
				url: &url.URL{Scheme: scheme, Host: in.Addr}}
		}
		out = append(out, u)
	}
	return out
}
