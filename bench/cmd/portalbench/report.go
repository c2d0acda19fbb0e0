package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// The report is Markdown, for bench/RESULTS.md as it is: every figure says
// what it was measured from and to, and nearest-rank percentiles are used so
// each figure is a real sample (with 15 runs, p99 is the slowest run).

// percentile is the nearest-rank percentile of the samples (p in 0..100).
func percentile(samples []float64, p float64) float64 {
	if len(samples) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(samples))
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(v float64) string {
	switch {
	case math.IsNaN(v) || v < 0:
		return "–"
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	default:
		return fmt.Sprintf("%.1f ms", v)
	}
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || a <= 0 || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// thousands writes n with thousands separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pageRun is one page measured N times.
type pageRun struct {
	name, path string
	firstOpSel string // watched element, "" for none
	views      []view
	err        error
}

func (p *pageRun) series(f func(view) float64) []float64 {
	var out []float64
	for _, v := range p.views {
		if x := f(v); x >= 0 {
			out = append(out, x)
		}
	}
	return out
}

type report struct {
	spec          spec
	chromium      string
	runs          int
	catalogReady  float64    // s from bulwark's start to the document in the catalog
	problems      int        // problems the catalog found in the document
	pages         []*pageRun // bulwark's pages, then Swagger UI when it ran
	swagger       *pageRun   // nil when the baseline is unavailable
	swaggerNote   string     // why it is unavailable, or its version
	searches      []typed
	queries       []string
	searchErr     error
	warmups       int // untimed first views of each page
	warmupQueries int // untimed queries
}

func (r *report) write(w io.Writer) {
	s := r.spec
	fmt.Fprintf(w, "Synthetic OpenAPI 3.0 document (`bench/cmd/portalbench/spec.go`, the same bytes every run): "+
		"**%s bytes** (%.2f MB), %s operations under %d tags, %d component schemas (nested objects, arrays, enums, oneOf with discriminators, examples). "+
		"bulwark's catalog had fetched and loaded it %.1f s after bulwark started (%d problems reported in it).\n\n",
		thousands(int64(len(s.JSON))), float64(len(s.JSON))/1e6, thousands(int64(s.Operations)), s.Tags, s.Schemas, r.catalogReady, r.problems)
	fmt.Fprintf(w, "%s, headless. Every view is a first view: a new browser context each time (empty cache, no open connection). "+
		"The pages take turns in each of the %d rounds, after %d untimed warm-up view(s) of each. "+
		"Times are from navigation start, read in the page (Navigation and Paint Timing); nearest-rank percentiles, so with %d runs p99 is the slowest run.\n\n",
		r.chromium, r.runs, r.warmups, r.runs)

	fmt.Fprintln(w, "| page | HTML bytes | all bytes | measure | p50 | p99 |")
	fmt.Fprintln(w, "|---|---:|---:|---|---:|---:|")
	for _, p := range r.pages {
		if p.err != nil || len(p.views) == 0 {
			fmt.Fprintf(w, "| %s | – | – | failed: %v | – | – |\n", p.name, p.err)
			continue
		}
		html, all := p.views[0].HTML, p.views[0].All
		rows := []struct {
			label string
			f     func(view) float64
		}{
			{"→ first byte of the HTML (`responseStart`)", func(v view) float64 { return v.TTFB }},
			{"→ DOMContentLoaded end", func(v view) float64 { return v.DCL }},
			{"→ first contentful paint", func(v view) float64 { return v.FCP }},
			{"→ load event end", func(v view) float64 { return v.Load }},
		}
		if p.firstOpSel != "" {
			rows = append(rows, struct {
				label string
				f     func(view) float64
			}{fmt.Sprintf("→ first operation on screen (`%s`)", p.firstOpSel), func(v view) float64 { return v.FirstOp }})
		}
		for i, row := range rows {
			name, hb, ab := "", "", ""
			if i == 0 {
				name, hb, ab = p.name, thousands(html), thousands(all)
			}
			x := p.series(row.f)
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", name, hb, ab, row.label, ms(percentile(x, 50)), ms(percentile(x, 99)))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "*HTML bytes* is the document itself; *all bytes* adds every resource the page loaded (CSS, scripts, and for Swagger UI the JSON document), decoded. "+
		"*First operation on screen*: the first animation frame in which the first element matching the selector has a layout box (watched from a script injected before the page's own), and not before the first contentful paint.")
	fmt.Fprintln(w)

	svc := r.pages[1]
	fcp := svc.series(func(v view) float64 { return v.FCP })
	op := svc.series(func(v view) float64 { return v.FirstOp })
	verdict := "met"
	if p := percentile(op, 99); math.IsNaN(p) || p >= 1000 || percentile(fcp, 99) >= 1000 {
		verdict = "**not met**"
	}
	fmt.Fprintf(w, "Target, the 2 MB spec's first view under 1 s: %s (service page, slowest of %d runs: first contentful paint %s, first operation on screen %s).\n\n",
		verdict, len(op), ms(percentile(fcp, 99)), ms(percentile(op, 99)))

	fmt.Fprintln(w, "**Baseline: Swagger UI, same document, same browser, same run**")
	fmt.Fprintln(w)
	if r.swagger == nil || r.swagger.err != nil || len(r.swagger.views) == 0 {
		note := r.swaggerNote
		if r.swagger != nil && r.swagger.err != nil {
			note = r.swagger.err.Error()
		}
		fmt.Fprintf(w, "Baseline unavailable: %s.\n\n", note)
	} else {
		sw := r.swagger.series(func(v view) float64 { return v.FirstOp })
		fmt.Fprintf(w, "%s, served with its own dist folder and the document from a local static server; `validatorUrl: null`, `docExpansion: \"list\"` (its default: every tag open, operations collapsed).\n\n", r.swaggerNote)
		fmt.Fprintln(w, "| navigation start → first operation on screen | p50 | p99 |")
		fmt.Fprintln(w, "|---|---:|---:|")
		fmt.Fprintf(w, "| bulwark service page (`%s`) | %s | %s |\n", svc.firstOpSel, ms(percentile(op, 50)), ms(percentile(op, 99)))
		fmt.Fprintf(w, "| Swagger UI (`%s`) | %s | %s |\n", r.swagger.firstOpSel, ms(percentile(sw, 50)), ms(percentile(sw, 99)))
		fmt.Fprintf(w, "| **ratio bulwark / Swagger UI** | **%s** | %s |\n\n", ratio(percentile(op, 50), percentile(sw, 50)), ratio(percentile(op, 99), percentile(sw, 99)))
	}

	fmt.Fprintln(w, "**Search as you type** (catalog page, the header's search box)")
	fmt.Fprintln(w)
	if r.searchErr != nil {
		fmt.Fprintf(w, "Failed after %d queries: %v.\n\n", len(r.searches), r.searchErr)
	}
	if len(r.searches) > 0 {
		fmt.Fprintf(w, "%d distinct queries that hit (20 operation IDs, 15 schema names, 15 parameter names of the document), each typed with real key events into an empty box, after %d untimed ones; "+
			"timed in the page from the last keystroke's `input` event (`event.timeStamp`). search.js waits after the last keystroke before it asks the server (120 ms in `portal/static/search.js`), so that wait is in every figure; the last two rows split it out.\n\n",
			len(r.searches), r.warmupQueries)
		fmt.Fprintln(w, "| from the last input event | p50 | p99 | max |")
		fmt.Fprintln(w, "|---|---:|---:|---:|")
		rows := []struct {
			label string
			f     func(typed) float64
		}{
			{"→ suggestions painted (next animation frame after they are in `#suggest`)", func(t typed) float64 { return t.Frame }},
			{"→ suggestions in `#suggest` (MutationObserver)", func(t typed) float64 { return t.DOM }},
			{"of which search.js's debounce (input → its `fetch`)", func(t typed) float64 { return t.Debounce }},
			{"of which the rest (`fetch` → suggestions in `#suggest`: loopback, bulwark's search, JSON, DOM)", func(t typed) float64 { return t.AfterFetch }},
		}
		for _, row := range rows {
			var x []float64
			for _, t := range r.searches {
				x = append(x, row.f(t))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", row.label, ms(percentile(x, 50)), ms(percentile(x, 99)), ms(percentile(x, 100)))
		}
		fmt.Fprintln(w)
		hits := make([]float64, 0, len(r.searches))
		for _, t := range r.searches {
			hits = append(hits, float64(t.Hits))
		}
		fmt.Fprintf(w, "Suggestions shown per query: %v to %v, median %v (search.js shows at most 12). Queries: %s.\n",
			percentile(hits, 0), percentile(hits, 100), percentile(hits, 50), "`"+strings.Join(r.queries, "`, `")+"`")
	}
}
