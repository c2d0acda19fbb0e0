package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Event kinds, measured in this order on each probe service.
const (
	kindRegister = iota
	kindCheckFail
	kindDeregister
	nKinds
)

var kindNames = [nKinds]string{"register", "check-fail", "deregister"}

// Answer classes a poll can get; the control phase replays each class's count.
const (
	class200   = iota // proxied to an upstream
	class404          // no route
	class503          // route, no healthy instance
	classOther        // anything else, or no answer
	nClasses
)

func classOf(status int) int {
	switch status {
	case http.StatusOK:
		return class200
	case http.StatusNotFound:
		return class404
	case http.StatusServiceUnavailable:
		return class503
	}
	return classOther
}

// Paths the control phase polls for each class: a proxied route, a path no
// route matches, and a route whose one instance always fails its check.
const (
	ctlDown    = "ctl-down"
	ctlMissing = "/ctl-missing"
)

// The Go runtime's series that say what a phase allocated and collected.
const (
	allocBytes = "go_memstats_alloc_bytes_total"
	gcCycles   = "go_gc_duration_seconds_count"
)

type kindResult struct {
	latencies []time.Duration
	timeouts  int
	polls     [nClasses]int
	windowNs  int64         // bulwark CPU over this kind's event windows (schedstat)
	windowDur time.Duration // their total length
	pollDur   time.Duration // the part of it spent polling (the rest: settling)
}

type sizeResult struct {
	services, instances int
	kinds               [nKinds]kindResult
	events              int // changes made (all kinds)
	eventTicks          int64
	controlTicks        int64
	consulEventTicks    int64 // the Consul agent's utime+stime over the same phases
	consulControlTicks  int64
	eventDur, ctlDur    time.Duration
	perPollNs           [nClasses]float64 // control: bulwark CPU per poll of each class
	idleNsPerSec        float64           // control: bulwark CPU per second without polls
	setupDur, readyDur  time.Duration
	rssKiB              int64   // peak RSS over the whole run
	readyRSSKiB         int64   // peak RSS when every route first answered: start-up's share
	convergenceMean     float64 // bulwark_discovery_convergence_seconds over the events, mean
	publishes           float64 // snapshots bulwark published during the events (that histogram's count)
	discoveryErrors     float64
	// Bytes bulwark allocated and GC cycles it ran in each phase
	// (go_memstats_alloc_bytes_total, go_gc_duration_seconds_count): at
	// many services a cycle costs more (a thousand stacks to scan, a larger
	// heap), so the allocation a change makes is what its share of GC costs.
	eventAlloc, controlAlloc float64
	eventGCs, controlGCs     float64
	logLines                 []string
}

func measureSize(ctx context.Context, o options, n int) (_ *sizeResult, err error) {
	r := &sizeResult{services: n, instances: n * o.instances}
	dir, err := os.MkdirTemp("", "bulwark-convergence.")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	logf("%d services: starting consul", n)
	ag, err := startAgent(ctx, o.consul, dir)
	if err != nil {
		return nil, err
	}
	defer ag.stop()
	ups, err := startUpstreams(o.instances)
	if err != nil {
		return nil, err
	}
	defer ups.close()

	t0 := time.Now()
	if err := ag.registerServices(ctx, n, ups.ports, o.workers); err != nil {
		return nil, err
	}
	if err := ag.register(ctlDown, ctlDown, ups.ports[0]); err != nil {
		return nil, err
	}
	if err := ag.failCheck(ctlDown); err != nil {
		return nil, err
	}
	r.setupDur = time.Since(t0)
	logf("%d services: registered %d instances in %v; starting bulwark", n, r.instances, r.setupDur.Round(time.Millisecond))

	t0 = time.Now()
	gw, err := startBulwark(o.bulwark, dir, ag.addr)
	if err != nil {
		return nil, err
	}
	defer gw.stop()
	logf("%d services: bulwark pid %d, admin %s (token bench), consul %s", n, gw.pid(), gw.admin, ag.addr)
	want := map[string]int{"/" + ctlDown: http.StatusServiceUnavailable, ctlMissing: http.StatusNotFound}
	paths := []string{"/" + ctlDown, ctlMissing}
	for k := range n {
		p := fmt.Sprintf("/svc-%d", k)
		want[p], paths = http.StatusOK, append(paths, p)
	}
	if err := gw.waitRoutes(ctx, want, paths, o.readyTimeout); err != nil {
		return nil, fmt.Errorf("bulwark not converged on the initial %d services: %w", n, err)
	}
	r.readyDur = time.Since(t0)
	r.readyRSSKiB, _ = peakRSS(gw.pid())
	logf("%d services: every route answers after %v; measuring %d events of each kind", n, r.readyDur.Round(time.Millisecond), o.events)
	if err := sleepCtx(ctx, 2*time.Second); err != nil { // let start-up work (GC, idle conns) settle
		return nil, err
	}

	pid := gw.pid()
	if dir := os.Getenv("PROFILE_DIR"); dir != "" {
		// The heap before the events, as a base for the one after them:
		// go tool pprof -sample_index=alloc_space -base before after
		// shows what the changes allocated.
		gw.pprof(ctx, filepath.Join(dir, fmt.Sprintf("bulwark-%d.before.heap", n)), "heap?gc=1", 0)
		go gw.profile(ctx, filepath.Join(dir, fmt.Sprintf("bulwark-%d.pprof", n)), profileDuration())
	}
	before, _ := gw.metrics("bulwark_discovery_convergence_seconds_sum", "bulwark_discovery_convergence_seconds_count", allocBytes, gcCycles)
	if err := eventPhase(ctx, o, ag, gw, ups.ports[0], r); err != nil {
		return nil, err
	}
	after, _ := gw.metrics("bulwark_discovery_convergence_seconds_sum", "bulwark_discovery_convergence_seconds_count", "bulwark_discovery_errors_total", allocBytes, gcCycles)
	r.eventAlloc, r.eventGCs = after[allocBytes]-before[allocBytes], after[gcCycles]-before[gcCycles]
	r.publishes = after["bulwark_discovery_convergence_seconds_count"] - before["bulwark_discovery_convergence_seconds_count"]
	if dc := r.publishes; dc > 0 {
		r.convergenceMean = (after["bulwark_discovery_convergence_seconds_sum"] - before["bulwark_discovery_convergence_seconds_sum"]) / dc
	}
	r.discoveryErrors = after["bulwark_discovery_errors_total"]
	if dir := os.Getenv("PROFILE_DIR"); dir != "" {
		gw.snapshot(ctx, dir, n)
	}
	logf("%d services: control phase (%v, same polls, no change)", n, r.eventDur.Round(time.Millisecond))
	before, _ = gw.metrics(allocBytes, gcCycles)
	if err := controlPhase(ctx, ag, gw, r); err != nil {
		return nil, err
	}
	after, _ = gw.metrics(allocBytes, gcCycles)
	r.controlAlloc, r.controlGCs = after[allocBytes]-before[allocBytes], after[gcCycles]-before[gcCycles]
	if gw.exited() {
		return nil, fmt.Errorf("bulwark exited during the measurement; its log: %q", gw.tail(20))
	}
	r.rssKiB, _ = peakRSS(pid)
	r.logLines = gw.tail(20)
	return r, nil
}
