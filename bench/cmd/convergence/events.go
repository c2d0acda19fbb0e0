package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// eventPhase makes o.events changes of each kind, each on a fresh probe
// service, and times each until bulwark answers accordingly.
func eventPhase(ctx context.Context, o options, ag *agent, gw *gateway, port int, r *sizeResult) error {
	pid := gw.pid()
	ticks0, err := cpuTicks(pid)
	if err != nil {
		return err
	}
	consul0, _ := cpuTicks(ag.pid())
	start := time.Now()
	for j := range o.events {
		name := fmt.Sprintf("probe-%d", j)
		path := "/" + name
		steps := [nKinds]struct {
			want   int
			action func() error
		}{
			{http.StatusOK, func() error { return ag.register(name, name, port) }},
			{http.StatusServiceUnavailable, func() error { return ag.failCheck(name) }},
			{http.StatusNotFound, func() error { return ag.deregister(name) }},
		}
		for kind, s := range steps {
			kr := &r.kinds[kind]
			ns0, _ := cpuNanos(pid)
			w0 := time.Now()
			d, err := timeEvent(ctx, gw, path, s.want, s.action, o.eventTimeout, &kr.polls)
			r.events++
			switch {
			case errors.Is(err, errTimeout):
				kr.timeouts++
				kr.latencies = append(kr.latencies, o.eventTimeout)
				kr.pollDur += o.eventTimeout
				logf("%s: %s not seen through bulwark after %v", name, kindNames[kind], o.eventTimeout)
			case err != nil:
				return fmt.Errorf("%s %s: %w", kindNames[kind], name, err)
			default:
				kr.latencies = append(kr.latencies, d)
				kr.pollDur += d
			}
			if err := sleepCtx(ctx, o.settle); err != nil {
				return err
			}
			ns1, _ := cpuNanos(pid)
			kr.windowNs += ns1 - ns0
			kr.windowDur += time.Since(w0)
			if err != nil { // timed out: leave this probe (deregistered) and go on
				_ = ag.deregister(name)
				break
			}
		}
	}
	r.eventDur = time.Since(start)
	ticks1, err := cpuTicks(pid)
	r.eventTicks = ticks1 - ticks0
	consul1, _ := cpuTicks(ag.pid())
	r.consulEventTicks = consul1 - consul0
	return err
}

var errTimeout = errors.New("timeout")

// timeEvent starts action and polls path every millisecond until it answers
// want; it returns the time from just before action to that answer.
func timeEvent(ctx context.Context, gw *gateway, path string, want int, action func() error, timeout time.Duration, polls *[nClasses]int) (time.Duration, error) {
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- action() }()
	var actionErr error
	acted := false
	for {
		st := gw.get(path)
		polls[classOf(st)]++
		if st == want {
			d := time.Since(start)
			if !acted {
				actionErr = <-done
			}
			return d, actionErr
		}
		if !acted {
			select {
			case actionErr = <-done:
				acted = true
				if actionErr != nil {
					return 0, actionErr
				}
			default:
			}
		}
		switch {
		case ctx.Err() != nil:
			return 0, ctx.Err()
		case gw.exited():
			return 0, fmt.Errorf("bulwark exited; its log: %q", gw.tail(20))
		case time.Since(start) > timeout:
			if !acted {
				<-done
			}
			return 0, errTimeout
		}
		time.Sleep(time.Millisecond)
	}
}

// controlPhase sends bulwark as many polls of each answer class as the event
// phase did, at the same pace, with nothing changing in Consul, then idles
// until it has lasted as long as the event phase.
func controlPhase(ctx context.Context, ag *agent, gw *gateway, r *sizeResult) error {
	pid := gw.pid()
	paths := [nClasses]string{"/svc-0", ctlMissing, "/" + ctlDown, "/svc-0"}
	var total [nClasses]int
	for k := range r.kinds {
		for c, n := range r.kinds[k].polls {
			total[c] += n
		}
	}
	ticks0, err := cpuTicks(pid)
	if err != nil {
		return err
	}
	consul0, _ := cpuTicks(ag.pid())
	start := time.Now()
	for c := range nClasses {
		ns0, _ := cpuNanos(pid)
		for range total[c] {
			gw.get(paths[c])
			if ctx.Err() != nil {
				return ctx.Err()
			}
			time.Sleep(time.Millisecond)
		}
		if total[c] > 0 {
			ns1, _ := cpuNanos(pid)
			r.perPollNs[c] = float64(ns1-ns0) / float64(total[c])
		}
	}
	if idle := r.eventDur - time.Since(start); idle > 0 {
		ns0, _ := cpuNanos(pid)
		if err := sleepCtx(ctx, idle); err != nil {
			return err
		}
		ns1, _ := cpuNanos(pid)
		r.idleNsPerSec = float64(ns1-ns0) / idle.Seconds()
	}
	r.ctlDur = time.Since(start)
	ticks1, err := cpuTicks(pid)
	r.controlTicks = ticks1 - ticks0
	consul1, _ := cpuTicks(ag.pid())
	r.consulControlTicks = consul1 - consul0
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
