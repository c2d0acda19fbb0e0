package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// percentile is the nearest-rank percentile of sorted samples (p in 0..100):
// with 50 samples, p99 is the largest.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func fmtDur(d, timeout time.Duration) string {
	if d >= timeout {
		return fmt.Sprintf("≥%v (timeout)", timeout)
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func fmtCPU(ns float64) string { return fmt.Sprintf("%.2f ms", ns/1e6) }

// kindCPU is bulwark's CPU per change of one kind, from its event windows
// (schedstat) minus what the control phase says the same polls and the same
// idle time cost.
func (r *sizeResult) kindCPU(k int) float64 {
	kr := &r.kinds[k]
	if len(kr.latencies) == 0 {
		return math.NaN()
	}
	base := r.idleNsPerSec * (kr.windowDur - kr.pollDur).Seconds()
	for c, n := range kr.polls {
		base += float64(n) * r.perPollNs[c]
	}
	return (float64(kr.windowNs) - base) / float64(len(kr.latencies))
}

// statCPU is bulwark's CPU per change from /proc/PID/stat: event phase minus
// control phase, in clock ticks, over all changes.
func (r *sizeResult) statCPU() float64 {
	if r.events == 0 {
		return math.NaN()
	}
	return float64(r.eventTicks-r.controlTicks) * (1e9 / clockTicks) / float64(r.events)
}

func printReport(w io.Writer, o options, results []*sizeResult) {
	fmt.Fprintf(w, "%d events of each kind per size, polling bulwark every 1 ms; each service has %d instances.\n\n", o.events, o.instances)
	fmt.Fprintln(w, "| services | instances | event | p50 | p90 | p99 | max | bulwark CPU per change |")
	fmt.Fprintln(w, "|---:|---:|---|---:|---:|---:|---:|---:|")
	for _, r := range results {
		var all []time.Duration
		for k := range nKinds {
			lat := slices.Sorted(slices.Values(r.kinds[k].latencies))
			all = append(all, lat...)
			fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s | %s | %s |\n", r.services, r.instances, kindNames[k],
				fmtDur(percentile(lat, 50), o.eventTimeout), fmtDur(percentile(lat, 90), o.eventTimeout),
				fmtDur(percentile(lat, 99), o.eventTimeout), fmtDur(percentile(lat, 100), o.eventTimeout),
				fmtCPU(r.kindCPU(k)))
		}
		slices.Sort(all)
		fmt.Fprintf(w, "| %d | %d | **all** | %s | %s | %s | %s | **%s** |\n", r.services, r.instances,
			fmtDur(percentile(all, 50), o.eventTimeout), fmtDur(percentile(all, 90), o.eventTimeout),
			fmtDur(percentile(all, 99), o.eventTimeout), fmtDur(percentile(all, 100), o.eventTimeout),
			fmtCPU(r.statCPU()))
	}

	fmt.Fprintln(w, "\nCPU per change: per kind from /proc/PID/task/*/schedstat over each event's window minus the")
	fmt.Fprintln(w, "control phase's cost of the same polls and idle time; **all** from utime+stime in /proc/PID/stat")
	fmt.Fprintln(w, "(10 ms ticks): (event phase − control phase) / changes. Latency: nearest-rank percentiles.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| services | registering all | bulwark ready after | event phase | bulwark CPU: events / control (ticks) | polls 200/404/503/other | control CPU per poll 200/404/503 | control idle CPU | snapshots published per change | in-bulwark convergence (mean) | peak RSS when ready | peak RSS | allocated per change | GC cycles: events / control | Consul agent CPU per change | discovery errors | timeouts |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		var polls [nClasses]int
		timeouts := 0
		for k := range nKinds {
			for c, n := range r.kinds[k].polls {
				polls[c] += n
			}
			timeouts += r.kinds[k].timeouts
		}
		fmt.Fprintf(w, "| %d | %.1f s | %.1f s | %.1f s | %d / %d | %d/%d/%d/%d | %.0f/%.0f/%.0f µs | %.2f ms/s | %.2f | %.2f ms | %.1f MiB | %.1f MiB | %.0f KiB | %.0f / %.0f | %s | %.0f | %d |\n",
			r.services, r.setupDur.Seconds(), r.readyDur.Seconds(), r.eventDur.Seconds(),
			r.eventTicks, r.controlTicks, polls[0], polls[1], polls[2], polls[3],
			r.perPollNs[class200]/1e3, r.perPollNs[class404]/1e3, r.perPollNs[class503]/1e3,
			r.idleNsPerSec/1e6, r.publishes/float64(max(1, r.events)), r.convergenceMean*1e3, float64(r.readyRSSKiB)/1024, float64(r.rssKiB)/1024,
			(r.eventAlloc-r.controlAlloc)/1024/float64(max(1, r.events)), r.eventGCs, r.controlGCs,
			fmtCPU(float64(r.consulEventTicks-r.consulControlTicks)*(1e9/clockTicks)/float64(max(1, r.events))), r.discoveryErrors, timeouts)
	}
	for _, r := range results {
		if len(r.logLines) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nbulwark's log at %d services (level warn; last %d lines):\n\n```\n", r.services, len(r.logLines))
		for _, l := range r.logLines {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w, "```")
	}
}
