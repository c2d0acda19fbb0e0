package gateway

import (
	"time"
)

// Outlier ejection is passive health checking per instance: an instance whose
// attempts fail ConsecutiveFailures times in a row leaves the balancers' choice
// for EjectFor, then twice that on its second ejection, up to ten times; a
// full EjectFor of good behaviour after returning forgives its history. At most
// MaxEjected of a service's instances are out at once: past that, a failure is
// more likely the service's (or the network's) than one instance's, and
// ejecting more would pile the load on the few left.

// maxEjectionMultiple caps how much repeat ejections lengthen the next one.
const maxEjectionMultiple = 10

// epoch starts monoNow's clock.
var epoch = time.Now()

// monoNow is the monotonic time since the process started, in nanoseconds: an
// ejection lasts EjectFor even when the wall clock is stepped or slewed (as
// NTP does on VMs), which time.Now().UnixNano() does not promise.
func monoNow() int64 { return int64(time.Since(epoch)) }

// observe records one attempt's outcome on u and ejects u when it keeps failing.
func (g *Gateway) observe(s *service, u *Upstream, failed bool, reason string) {
	p := s.policy.Outlier
	if p.ConsecutiveFailures <= 0 || u == nil {
		return
	}
	now := monoNow()
	if !failed {
		u.fails.Store(0)
		if until := u.ejectedUntil.Load(); until != 0 && now > until+int64(p.EjectFor) {
			u.ejections.Store(0)
		}
		return
	}
	if u.fails.Add(1) < int32(p.ConsecutiveFailures) || !u.Available() {
		return
	}
	ejected := 0
	for _, x := range s.pool.Upstreams {
		if !x.Available() {
			ejected++
		}
	}
	if float64(ejected+1) > p.MaxEjected*float64(len(s.pool.Upstreams)) {
		g.metrics.ejectionsSkipped.WithLabelValues(s.name).Inc()
		return
	}
	n := min(u.ejections.Add(1), maxEjectionMultiple)
	until := now + int64(p.EjectFor)*int64(n)
	old := u.ejectedUntil.Load()
	if old > now || !u.ejectedUntil.CompareAndSwap(old, until) {
		return // another request ejected it first
	}
	u.fails.Store(0)
	g.metrics.ejections.WithLabelValues(s.name).Inc()
	g.log.Warn("instance ejected after consecutive failures", "service", s.name, "instance", u.Addr,
		"failures", p.ConsecutiveFailures, "for", time.Duration(until-now), "last_failure", reason)
}

// ejectedCount is how many of the service's instances are out now.
func (s *service) ejectedCount() int {
	n := 0
	for _, u := range s.pool.Upstreams {
		if !u.Available() {
			n++
		}
	}
	return n
}
