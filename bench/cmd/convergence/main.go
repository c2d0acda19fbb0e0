// Command convergence measures how fast bulwark follows Consul: for each
// cluster size it starts a fresh Consul dev agent, registers N services of 5
// instances each, starts bulwark against it, and times three kinds of change
// end to end (Consul API call → first request through bulwark that shows it):
//
//   - register:   a new service probe-J (route /probe-J) until /probe-J answers 200;
//   - check-fail: its TTL check failed until /probe-J answers 503;
//   - deregister: it deregistered until /probe-J answers 404.
//
// It also reports the CPU bulwark spends per change: bulwark's utime+stime over
// the event phase minus the same over a control phase that sends bulwark the
// same polls (same count per answer status, same pacing) and lasts as long,
// without any change in Consul. See bench/README.md.
//
// Linux only (it reads /proc). Everything runs on 127.0.0.1; every process it
// starts is stopped on exit, error or Ctrl-C, and its temp directory removed.
//
//	convergence -consul $(scripts/consul.sh) -bulwark ./bin/bulwark -services 10,100,1000 -events 50
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	consul, bulwark string
	sizes           []int
	instances       int
	events          int
	eventTimeout    time.Duration
	readyTimeout    time.Duration
	settle          time.Duration
	workers         int
}

func init() {
	// Children get SIGKILL if the thread that started them exits (Pdeathsig);
	// keep main on one thread, and start every child from main's goroutine.
	runtime.LockOSThread()
}

func main() {
	var o options
	var sizes string
	flag.StringVar(&o.consul, "consul", os.Getenv("BULWARK_CONSUL"), "consul binary (v1.14.11: scripts/consul.sh prints it)")
	flag.StringVar(&o.bulwark, "bulwark", "", "bulwark binary (go build -o DIR/bulwark ./cmd/bulwark)")
	flag.StringVar(&sizes, "services", "10,100,1000", "comma-separated numbers of registered services, one run each")
	flag.IntVar(&o.instances, "instances", 5, "instances per registered service (one upstream server each)")
	flag.IntVar(&o.events, "events", 50, "events measured per kind (register, check-fail, deregister)")
	flag.DurationVar(&o.eventTimeout, "event-timeout", 30*time.Second, "longest wait for one event to show through bulwark")
	flag.DurationVar(&o.readyTimeout, "ready-timeout", 120*time.Second, "longest wait for every route to answer 200 after bulwark starts")
	flag.DurationVar(&o.settle, "settle", 100*time.Millisecond, "pause after each event before the next one")
	flag.IntVar(&o.workers, "workers", 16, "concurrent registrations while setting up")
	flag.Parse()
	if o.consul == "" || o.bulwark == "" {
		fmt.Fprintln(os.Stderr, "convergence: -consul and -bulwark are required")
		os.Exit(2)
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 100000 {
			fmt.Fprintf(os.Stderr, "convergence: bad -services entry %q\n", s)
			os.Exit(2)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.events < 1 || o.events > 10000 || o.instances < 1 || o.instances > 64 || o.workers < 1 {
		fmt.Fprintln(os.Stderr, "convergence: -events must be 1..10000, -instances 1..64, -workers ≥ 1")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills at once (children get SIGKILL)
	err := run(ctx, o)
	stop()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			err = errors.New("interrupted")
		}
		fmt.Fprintln(os.Stderr, "convergence:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	var results []*sizeResult
	for _, n := range o.sizes {
		r, err := measureSize(ctx, o, n)
		if err != nil {
			return fmt.Errorf("%d services: %w", n, err)
		}
		results = append(results, r)
	}
	printReport(os.Stdout, o, results)
	return nil
}

// logf writes progress to stderr; stdout carries only the report.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s convergence: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
