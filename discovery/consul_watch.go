package discovery

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/hashicorp/consul/api"
)

// minQueryGap spaces two queries of one watch. Consul's documentation asks
// blocking-query clients to rate-limit themselves, since an index that keeps
// moving (or a server bug returning at once) would otherwise turn a watch into
// a busy loop; 10 ms caps that at 100 queries a second per watch while adding
// nothing noticeable to convergence.
const minQueryGap = 10 * time.Millisecond

// blocking runs a blocking-query loop until ctx ends: query is called with the
// last index and returns the new one; it handles the answer only when the index
// moved. The index rules are Consul's: reset to 0 when it goes backwards (the
// servers' state was restored or re-elected), and never wait on index 0; and
// after a failed query the next one starts from 0, so recovering from an
// outage costs one immediate answer rather than a wait on a stale index. After
// an error the loop backs off exponentially with jitter, capped, and keeps
// trying: Consul being down is a state to recover from, not a reason to stop.
//
// The catalog's watch runs here; a service's watch runs the same rules
// (pollLoop.after) as a chain of goroutines, so that its wait is a
// goroutine of its own (startServiceWatch). A watch spends its life parked
// inside query, and every frame above the parked read stays on its stack;
// Go shrinks a parked goroutine's stack only while it uses less than a
// quarter of it. Hence the loop keeps to the query, and what it does with
// the answer is in after, a frame of its own that is gone while it waits.
func (c *Consul) blocking(ctx context.Context, w *watchStatus, query func(opts *api.QueryOptions, index uint64) (uint64, error)) {
	l := &pollLoop{c: c, w: w, backoff: c.cfg.BackoffMin}
	for ctx.Err() == nil {
		started := time.Now()
		next, err := l.ask(ctx, query)
		if ctx.Err() != nil {
			return
		}
		l.after(ctx, next, err, started)
	}
}

// pollLoop is a blocking-query loop's state between queries.
type pollLoop struct {
	c       *Consul
	w       *watchStatus
	index   uint64
	backoff time.Duration
}

// ask runs one query from the loop's index, bounded by the wait and the
// timeout beyond it.
func (l *pollLoop) ask(ctx context.Context, query func(opts *api.QueryOptions, index uint64) (uint64, error)) (uint64, error) {
	qctx, cancel := context.WithTimeout(ctx, l.c.queryTimeout())
	defer cancel()
	return query(queryOptions(qctx, l.index, l.c.cfg.Wait), l.index)
}

// queryTimeout bounds a query: its wait, the jitter Consul adds to it (up
// to 1/16), and the timeout beyond.
func (c *Consul) queryTimeout() time.Duration {
	return c.cfg.Wait + c.cfg.Wait/16 + c.cfg.Timeout
}

// queryOptions builds a query's options outside ask's frame: QueryOptions
// is a large struct, and ask's frame stays on the stack while it waits.
//
//go:noinline
func queryOptions(ctx context.Context, index uint64, wait time.Duration) *api.QueryOptions {
	return (&api.QueryOptions{WaitIndex: index, WaitTime: wait}).WithContext(ctx)
}

// after moves the index on from a query's answer, or backs off after its
// failure, and waits before the next query.
//
//go:noinline
func (l *pollLoop) after(ctx context.Context, next uint64, err error, started time.Time) {
	c, w := l.c, l.w
	if err != nil {
		// The index cannot be trusted across a failure: Consul may have
		// restarted with a lower one, and waiting on the old index would
		// hide every change until the new index passed it (up to the
		// whole wait). Index 0 answers at once with the current state.
		l.index = 0
		c.logOutage(w.failed(err))
		// One WARN per outage (logOutage), not one per watch and retry:
		// five watches retrying logged 25 lines in 10 s. Each failure is
		// counted (bulwark_discovery_watch_errors_total) and shown in
		// GET /api/v1/discovery; the detail is here at debug level.
		c.log.Debug("consul query failed", "watch", w.name, "err", err, "retry_in", l.backoff)
		sleep(ctx, jitter(l.backoff))
		l.backoff = min(2*l.backoff, c.cfg.BackoffMax)
		return
	}
	l.backoff = c.cfg.BackoffMin
	switch {
	case next < l.index:
		c.log.Info("consul index went backwards; resetting the watch", "watch", w.name,
			"from", l.index, "to", next)
		l.index = 0
	case next == 0:
		c.log.Warn(errIndexZero.Error(), "watch", w.name)
		l.index = 1
	default:
		l.index = next
	}
	c.logOutage(w.succeeded(l.index))
	sleep(ctx, minQueryGap-time.Since(started))
}

// logOutage logs the beginning and the end of an outage of discovery as a
// whole: one WARN when the first watch fails while all others answer, one
// INFO when the last failing watch answers again, with how long it lasted
// (Prometheus' service discovery and Traefik's providers log a provider's
// failure, not every retry of it).
func (c *Consul) logOutage(o outage) {
	switch {
	case o.began:
		c.log.Warn("consul discovery is failing; routing with the last known instances until it answers again",
			"address", c.status.address, "watch", o.watch, "err", o.err)
	case o.ended:
		c.log.Info("consul discovery recovered", "address", c.status.address,
			"down_for", o.downFor.Round(time.Millisecond).String(), "failed_queries", o.failed)
	}
}

// jitter spreads retries over [d/2, d) so many watches do not retry in step.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// watchCatalog pushes the service list's changes to feed.
func (c *Consul) watchCatalog(ctx context.Context, feed *catalogFeed) {
	w := c.status.watch("catalog")
	var cat catalog
	c.blocking(ctx, w, func(opts *api.QueryOptions, index uint64) (uint64, error) {
		added, removed, meta, err := c.listServices(opts, index, &cat)
		if err != nil {
			return 0, err
		}
		if meta.LastIndex == index {
			return index, nil // the wait ended without a change
		}
		w.seen()
		feed.push(added, removed)
		return meta.LastIndex, nil
	})
}
