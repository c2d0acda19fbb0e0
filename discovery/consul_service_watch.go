package discovery

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/bulwark-gw/bulwark/internal/h1"
)

// A service's watch runs its blocking-query loop (the rules are blocking's)
// as a chain of goroutines rather than one: each sends its query and leaves
// the wait for the answer to a new goroutine (wait) that does nothing else,
// which then handles the answer, sends the next query and hands on again.
//
// Why: a watch spends its life waiting, and Go keeps a waiting goroutine's
// stack at the size its deepest work grew it to, shrinking it only while
// the frames above the wait use under a quarter of it. A loop that decodes
// answers and waits on the same goroutine kept an 8 KiB stack for each
// watch, 8 MiB at 1,000 services (issue 20), even with the wait's own
// frames trimmed: the loop, consul/api and http.Client above it used ~3 KiB.
// A goroutine started for the wait alone parks with a few frames on the
// stack it started with, and the one that grew to decode the last answer
// has ended.
//
// The chain needs the query sent and its answer read apart (h1's Send and
// Wait), so it runs only on the h1 transport and with a template (repoll);
// a watch on another transport (TLS, a proxy) or without a template sends
// each query and waits on one goroutine, as before.

// startServiceWatch starts watching a service's instances in one
// datacenter, sending them to out whenever what routing uses of them
// changes (a new index alone, say a check's output changing, is not a
// change). The watch holds wg until it ends, when ctx does.
func (c *Consul) startServiceWatch(ctx context.Context, service, dc string, out chan<- update, wg *sync.WaitGroup) {
	name := "service " + service
	if dc != "" {
		name += "@" + dc
	}
	sw := &serviceWatch{c: c, name: name, w: c.status.watch(name), service: service, dc: dc, out: out, wg: wg}
	sw.loop = pollLoop{c: c, w: sw.w, backoff: c.cfg.BackoffMin}
	wg.Add(1)
	go sw.run(ctx, nil)
}

// serviceWatch is what a service's watch keeps between answers.
type serviceWatch struct {
	c           *Consul
	name        string
	w           *watchStatus
	service, dc string
	out         chan<- update
	wg          *sync.WaitGroup
	loop        pollLoop
	last        *update
	tmpl        template // what repoll sends: from the last query through consul/api
}

// sentQuery is a query on its way: its answer, once wait has it, and what
// finishing it needs.
type sentQuery struct {
	pending *h1.Pending
	res     *http.Response
	err     error
	index   uint64 // the index it waits on
	started time.Time
	cancel  context.CancelFunc // its timeout's
}

// run is the loop of blocking, from sq's answer if it has one, until it
// hands its next wait to a new goroutine or ctx ends.
func (sw *serviceWatch) run(ctx context.Context, sq *sentQuery) {
	l := &sw.loop
	for ctx.Err() == nil {
		started := time.Now()
		var next uint64
		var err error
		switch {
		case sq != nil:
			started = sq.started
			next, err = sw.finish(ctx, sq)
			sq = nil
		case l.index > 0 && sw.tmpl.req != nil && sw.c.rt != nil:
			sq, err = sw.send(ctx, l.index, started)
			if err == nil {
				if sq.pending != nil {
					go sw.wait(ctx, sq)
					return
				}
				continue // answered already (no h1): finish it above
			}
		default:
			next, err = sw.queryAPI(ctx, l.index)
		}
		if ctx.Err() != nil {
			break
		}
		l.after(ctx, next, err, started)
	}
	if sq != nil { // answered as the watch stopped: give its connection back
		if sq.res != nil {
			_ = sq.res.Body.Close()
		}
		sq.cancel()
	}
	sw.c.logOutage(sw.c.status.unwatch(sw.name))
	sw.wg.Done()
}

// wait waits for sq's answer, then goes on with the loop. It is the
// goroutine a watch parks in, and its only frames are this one and h1's.
//
//go:noinline
func (sw *serviceWatch) wait(ctx context.Context, sq *sentQuery) {
	sq.res, sq.err = sq.pending.Wait()
	sw.run(ctx, sq)
}

// send sends the template with index, bounded by the wait and the timeout
// beyond it, on h1 when it can (the answer then comes through wait), else
// as one round trip.
//
//go:noinline
func (sw *serviceWatch) send(ctx context.Context, index uint64, started time.Time) (*sentQuery, error) {
	qctx, cancel := context.WithTimeout(ctx, sw.c.queryTimeout())
	sq := &sentQuery{index: index, started: started, cancel: cancel}
	req := withIndex(qctx, sw.tmpl, index, sw.c.cfg.Wait)
	if sw.c.lp == nil {
		sq.res, sq.err = sw.c.rt.RoundTrip(req)
		return sq, nil
	}
	var err error
	if sq.pending, err = sw.c.lp.Send(req); err != nil {
		cancel()
		return nil, err
	}
	return sq, nil
}

// finish reads sq's answer as consul/api would (readHealth) and handles it.
//
//go:noinline
func (sw *serviceWatch) finish(ctx context.Context, sq *sentQuery) (uint64, error) {
	defer sq.cancel()
	if sq.err != nil {
		return 0, sq.err
	}
	entries, next, err := readHealth(sq.res, sw.service)
	if err != nil {
		return 0, err
	}
	return sw.answer(ctx, entries, next, sq.index), nil
}

// queryAPI is one query through consul/api, which also makes the template
// the next ones are sent with.
//
//go:noinline
func (sw *serviceWatch) queryAPI(ctx context.Context, index uint64) (uint64, error) {
	qctx, cancel := context.WithTimeout(ctx, sw.c.queryTimeout())
	defer cancel()
	opts := queryOptions(qctx, index, sw.c.cfg.Wait)
	opts.Datacenter = sw.dc
	entries, meta, tmpl, err := sw.c.serviceHealth(sw.service, opts)
	if err != nil {
		return 0, err
	}
	if tmpl != nil {
		sw.tmpl = sw.c.templates.share(sw.dc, tmpl)
	}
	return sw.answer(ctx, entries, meta.LastIndex, index), nil
}

// answer handles one health answer at index next (the query waited on
// index) and returns the index to wait on.
func (sw *serviceWatch) answer(ctx context.Context, entries []*healthEntry, next, index uint64) uint64 {
	if next == index && sw.last != nil {
		return index
	}
	u, problems := sw.c.convert(sw.service, sw.dc, entries)
	for _, p := range sw.w.setProblems(problems) {
		sw.c.log.Warn("consul registration problem", "service", sw.service, "problem", p)
	}
	if sw.last != nil && sw.last.equal(&u) {
		return next
	}
	sw.last = &u
	sw.w.seen()
	select {
	case sw.out <- u:
	case <-ctx.Done():
	}
	return next
}
