// Command portalbench measures the documentation portal as a browser sees
// it, against the real bulwark binary, with Swagger UI as the baseline in
// the same run. The target: a 2 MB spec renders its first view in under 1 s.
//
// It generates a deterministic synthetic OpenAPI 3.0 document of about 2 MB
// (spec.go), serves it from an upstream on 127.0.0.1, starts bulwark with
// that upstream as a static service whose docs path points at it, waits
// until bulwark's catalog has loaded it, then drives headless Chromium
// (chromedp) to measure:
//
//   - first views of the catalog page, the service page and one operation
//     page: navigation start → DOMContentLoaded end, first contentful paint,
//     load event end (and, on the service page, the first operation drawn);
//   - search as you type on the catalog page: last input event → suggestions
//     rendered, for 50 queries that hit;
//   - Swagger UI (from swagger-ui-dist, -swagger-ui) on the same document:
//     navigation start → first .opblock drawn, and the ratio to bulwark.
//
// The Markdown report goes to stdout, progress to stderr. Everything listens
// on 127.0.0.1; bulwark, Chromium and the servers are stopped on exit, error,
// SIGINT or SIGTERM. bench/portal/run.sh builds and runs it.
//
//	portalbench -bulwark ./bulwark -swagger-ui .cache/swagger-ui-dist/package -runs 15
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	bulwark, chromium string
	swaggerUI, swNote string
	runs, warmups     int
	searchWarmups     int
	pageTimeout       time.Duration
	catalogTimeout    time.Duration
	dumpSpec, workdir string
	searchQueries     int
	verbose           bool
}

func init() {
	// bulwark gets SIGKILL if the thread that started it exits (Pdeathsig):
	// keep main on one thread, and start children from main's goroutine.
	runtime.LockOSThread()
}

func main() {
	var o options
	flag.StringVar(&o.bulwark, "bulwark", "", "bulwark binary (go build -o DIR/bulwark ./cmd/bulwark)")
	flag.StringVar(&o.chromium, "chromium", "", "Chromium binary (default: $BULWARK_CHROMIUM, else chromium on PATH)")
	flag.StringVar(&o.swaggerUI, "swagger-ui", "", "swagger-ui-dist's extracted package/ folder; empty: the baseline is reported unavailable")
	flag.StringVar(&o.swNote, "swagger-ui-note", "", "with -swagger-ui: its name and version for the report; without: why it is unavailable")
	flag.IntVar(&o.runs, "runs", 15, "first views measured per page")
	flag.IntVar(&o.warmups, "warmups", 1, "untimed first views of each page before the measured ones")
	flag.IntVar(&o.searchQueries, "queries", 50, "search-as-you-type queries measured (at most 50)")
	flag.IntVar(&o.searchWarmups, "search-warmups", 2, "untimed queries before the measured ones")
	flag.DurationVar(&o.pageTimeout, "page-timeout", 60*time.Second, "longest wait for one view")
	flag.DurationVar(&o.catalogTimeout, "catalog-timeout", 60*time.Second, "longest wait for bulwark's catalog to load the document")
	flag.StringVar(&o.workdir, "workdir", "", "folder for bulwark's config and log (default: a new temporary folder, removed at exit)")
	flag.StringVar(&o.dumpSpec, "dump-spec", "", "write the synthetic document to this file and exit")
	flag.BoolVar(&o.verbose, "v", false, "print every sample to stderr")
	flag.Parse()
	if o.dumpSpec != "" {
		s := generateSpec()
		if err := os.WriteFile(o.dumpSpec, s.JSON, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "portalbench:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "portalbench: %d bytes, %d operations, %d schemas, %d tags written to %s\n",
			len(s.JSON), s.Operations, s.Schemas, s.Tags, o.dumpSpec)
		return
	}
	if o.bulwark == "" || o.runs < 1 || o.runs > 1000 || o.warmups < 0 || o.warmups > 10 ||
		o.searchQueries < 1 || o.searchQueries > 50 || o.searchWarmups < 0 || o.searchWarmups > 10 {
		fmt.Fprintln(os.Stderr, "portalbench: -bulwark is required; -runs 1..1000, -warmups 0..10, -queries 1..50, -search-warmups 0..10")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "portalbench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "portalbench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	chromium, err := chromiumPath(o.chromium)
	if err != nil {
		return err
	}
	dir := o.workdir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "portalbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}

	s := generateSpec()
	logf("synthetic document: %d bytes, %d operations, %d schemas, %d tags", len(s.JSON), s.Operations, s.Schemas, s.Tags)
	up, err := startUpstream(s.JSON)
	if err != nil {
		return err
	}
	defer up.close()

	started := time.Now()
	bw, err := startBulwark(o.bulwark, dir, up.addr)
	if err != nil {
		return err
	}
	defer bw.stop()
	if err := bw.waitReady(ctx, 30*time.Second); err != nil {
		return err
	}
	entry, err := waitCatalog(ctx, bw.base, o.catalogTimeout)
	if err != nil {
		return fmt.Errorf("%w; bulwark's log: %s", err, bw.tail(20))
	}
	rep := &report{spec: s, runs: o.runs, warmups: o.warmups, catalogReady: time.Since(started).Seconds(), problems: len(entry.Problems)}
	logf("bulwark at %s; its catalog loaded the document (%s) in %.1f s, %d problems", bw.base, entry.Kind, rep.catalogReady, len(entry.Problems))
	for i, p := range entry.Problems {
		if i == 5 {
			break
		}
		logf("  problem: %s: %s", p.Severity, p.Message)
	}
	slug, nops, err := operationSlug(ctx, bw.base, s.Operation)
	if err != nil {
		return err
	}
	if nops != s.Operations {
		return fmt.Errorf("the catalog lists %d operations, the document has %d", nops, s.Operations)
	}

	// The queries must hit: check them against the catalog's API first, so a
	// query that finds nothing fails here and not as a browser timeout.
	warm := []string{"PaymentMethod", "GeoPoint", "AuditEntry", "BankAccount", "EventCreated", "Currency", "Wallet", "Money", "Pagination", "ErrorDetail"}[:o.searchWarmups]
	queries := s.Queries[:o.searchQueries]
	for _, q := range append(append([]string(nil), warm...), queries...) {
		n, err := searchHits(ctx, bw.base, q)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("query %q finds nothing in the catalog", q)
		}
	}
	rep.queries = queries

	rep.pages = []*pageRun{
		{name: "catalog `/portal/`", path: bw.base + "/portal/"},
		{name: "service `/portal/services/" + service + "` (2 MB spec)", path: bw.base + "/portal/services/" + service, firstOpSel: "ul.operations li"},
		{name: "operation `/portal/services/" + service + "/operations/" + slug + "`", path: bw.base + "/portal/services/" + service + "/operations/" + slug},
	}
	rep.swaggerNote = o.swNote
	if o.swaggerUI != "" {
		sw, err := startSwaggerUI(o.swaggerUI, s.JSON)
		if err != nil {
			rep.swaggerNote = fmt.Sprintf("cannot serve %s: %v", o.swaggerUI, err)
			logf("baseline unavailable: %s", rep.swaggerNote)
		} else {
			defer sw.close()
			rep.swagger = &pageRun{name: "Swagger UI, same document", path: "http://" + sw.addr + "/", firstOpSel: ".opblock"}
			rep.pages = append(rep.pages, rep.swagger)
		}
	} else if rep.swaggerNote == "" {
		rep.swaggerNote = "no -swagger-ui folder given"
	}

	bctx, stopBrowser, err := startBrowser(ctx, chromium)
	if err != nil {
		return err
	}
	defer stopBrowser()
	rep.chromium = chromiumVersion(chromium)
	logf("%s started", rep.chromium)

	for _, p := range rep.pages {
		for i := range o.warmups {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := firstView(bctx, p.path, p.firstOpSel, o.pageTimeout); err != nil {
				p.err = fmt.Errorf("warm-up %d: %w", i+1, err)
				logf("%s: %v", p.name, p.err)
			}
		}
	}
	// Rounds: each page once per round, starting with a different page each
	// time, so a slow minute of the machine falls on all of them.
	for r := range o.runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		for k := range rep.pages {
			p := rep.pages[(r+k)%len(rep.pages)]
			if err := ctx.Err(); err != nil {
				return err
			}
			if p.err != nil {
				continue
			}
			v, err := firstView(bctx, p.path, p.firstOpSel, o.pageTimeout)
			if err != nil {
				p.err = fmt.Errorf("run %d: %w", r+1, err)
				logf("%s: %v", p.name, p.err)
				continue
			}
			p.views = append(p.views, v)
			if o.verbose {
				logf("  %s: dcl %.0f fcp %.0f load %.0f first op %.0f (laid out %.0f) ms, %d bytes", p.name, v.DCL, v.FCP, v.Load, v.FirstOp, v.LaidOut, v.HTML)
			}
		}
		logf("round %d/%d done", r+1, o.runs)
	}
	for _, p := range rep.pages[:3] {
		if p.err != nil {
			return fmt.Errorf("bulwark's %s: %w", p.name, p.err)
		}
	}

	logf("search as you type: %d + %d queries", len(warm), len(queries))
	all := append(append([]string(nil), warm...), queries...)
	res, err := searchAsYouType(bctx, bw.base+"/portal/", all, func(i int, q string, t typed) {
		if o.verbose {
			logf("  %q: %.1f ms to the frame (%d hits, %d inputs, typing %.1f ms)", q, t.Frame, t.Hits, t.Inputs, t.Typing)
		}
	})
	if len(res) > len(warm) {
		rep.searches = res[len(warm):]
	}
	rep.warmupQueries = len(warm)
	if err != nil {
		rep.searchErr = err
		logf("search: %v", err)
	}

	rep.write(os.Stdout)
	if rep.searchErr != nil {
		return errors.New("the search measurement failed (the report says where)")
	}
	return nil
}

// chromiumVersion is `chromium --version`, or the path when it cannot say.
func chromiumVersion(path string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil || len(out) == 0 {
		return path
	}
	return strings.TrimSpace(string(out))
}
