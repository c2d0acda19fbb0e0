package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The timings are taken inside the page, from its own clocks (Navigation
// Timing, Paint Timing, performance.now()), not from Go: a round trip through
// the DevTools protocol costs a millisecond or more and would blur what the
// browser actually did. Go only drives the browser and reads the numbers.

// chromiumPath is BULWARK_CHROMIUM, else chromium on PATH, as the portal's
// browser tests find it.
func chromiumPath(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := os.Getenv("BULWARK_CHROMIUM"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("no Chromium: set BULWARK_CHROMIUM or put chromium on PATH (scripts/conformance-tools.sh installs it)")
}

// startBrowser starts headless Chromium and opens its first tab, so that
// later contexts can each create their own browser context.
func startBrowser(ctx context.Context, path string) (context.Context, func(), error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancel := chromedp.NewContext(actx)
	stop := func() { cancel(); cancelAlloc() }
	// The browser lives as long as the context of the first Run, so that must
	// be bctx itself, not a child with a timeout: a timer cancels it instead.
	// The Run stays on this goroutine, main's, which starts every child.
	timer := time.AfterFunc(60*time.Second, stop)
	err := chromedp.Do(bctx, chromedp.Navigate("about:blank"))
	if !timer.Stop() {
		err = fmt.Errorf("not up within 60 s: %w", err)
	}
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("starting Chromium %s: %w", path, err)
	}
	return bctx, stop, nil
}

// firstOpScript runs in the page before any of its own scripts: on every
// animation frame it looks for the first element matching sel with a layout
// box, and records performance.now() when there is one. That frame is the
// first to draw the first operation, unless nothing has been painted yet (a
// server-rendered page is laid out while its stylesheet still loads), so
// pageSample takes the later of it and the first contentful paint. For Swagger
// UI, whose operations appear only after its script fetched and parsed the
// document, this is its first useful view; the figure can be early by up to
// one frame (the time from that frame's start to its presentation).
func firstOpScript(sel string) string {
	q, _ := json.Marshal(sel)
	return fmt.Sprintf(`(() => {
  const sel = %s, t0 = performance.now();
  window.__benchFirstOpSel = sel;
  const check = () => {
    const el = document.querySelector(sel);
    if (el) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) { window.__benchFirstOp = performance.now(); return; }
    }
    if (performance.now() - t0 < 120000) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();`, q)
}

// pageDone is true once the load event has ended, the first contentful paint
// is recorded and, when a first-operation selector is watched, it was seen.
const pageDone = `(() => {
  const n = performance.getEntriesByType('navigation')[0];
  return !!n && n.loadEventEnd > 0 && performance.getEntriesByName('first-contentful-paint').length > 0 &&
    (!window.__benchFirstOpSel || window.__benchFirstOp !== undefined);
})()`

// pageSample reads one view's figures: times in ms from navigation start,
// sizes in bytes (decoded; nothing is compressed on these servers).
const pageSample = `(() => {
  const n = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  let all = n.decodedBodySize, count = 0;
  for (const r of performance.getEntriesByType('resource')) { all += r.decodedBodySize; count++; }
  return {ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : -1, load: n.loadEventEnd,
    firstOp: window.__benchFirstOp === undefined ? -1 : Math.max(window.__benchFirstOp, fcp ? fcp.startTime : 0),
    firstOpLaidOut: window.__benchFirstOp === undefined ? -1 : window.__benchFirstOp,
    html: n.decodedBodySize, all: all, resources: count, status: n.responseStatus || 0,
    visibility: document.visibilityState};
})()`

// view is one first view of a page.
type view struct {
	TTFB       float64 `json:"ttfb"` // the HTML's first byte: the server's time is in it
	DCL        float64 `json:"dcl"`
	FCP        float64 `json:"fcp"`
	Load       float64 `json:"load"`
	FirstOp    float64 `json:"firstOp"`        // on screen: the later of laid out and first contentful paint
	LaidOut    float64 `json:"firstOpLaidOut"` // first frame with it laid out
	HTML       int64   `json:"html"`
	All        int64   `json:"all"`
	Resources  int     `json:"resources"`
	Status     int     `json:"status"`
	Visibility string  `json:"visibility"`
}

// firstView opens url in a new browser context (an empty cache, no cookies,
// no open connections: what a first visit gets), waits for it to finish, and
// reads its timings. firstOpSel, when not empty, is watched as above.
func firstView(parent context.Context, url, firstOpSel string, timeout time.Duration) (view, error) {
	tctx, cancelTab := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tctx, timeout)
	defer cancel()
	if firstOpSel != "" {
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: firstOpScript(firstOpSel)}); err != nil {
			return view{}, fmt.Errorf("installing the first-operation watch: %w", err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return view{}, fmt.Errorf("opening %s: %w", url, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](pageDone,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(timeout))); err != nil {
		what := "load event and first contentful paint"
		if firstOpSel != "" {
			what += " and " + firstOpSel
		}
		return view{}, fmt.Errorf("%s: no %s within %v: %w", url, what, timeout, err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[view](pageSample))
	if err != nil {
		return view{}, fmt.Errorf("reading the timings of %s: %w", url, err)
	}
	if v.Status != 0 && v.Status != 200 {
		return v, fmt.Errorf("%s answered %d", url, v.Status)
	}
	if v.Visibility != "visible" {
		return v, fmt.Errorf("%s was %s: its frames were throttled, the timings would be wrong", url, v.Visibility)
	}
	return v, nil
}

// searchInstall hooks the catalog page's search box: it notes the time of
// every input event, the moment search.js's fetch for the whole query starts
// (it waits 120 ms after the last keystroke first), and, through a
// MutationObserver on #suggest, the moment the list holds results for that
// query, then the next animation frame (the one that paints them).
// __bench.reset(q) starts a measurement; __bench.promise resolves with it.
const searchInstall = `(() => {
  const input = document.querySelector('form.search input[name=q]');
  const list = document.getElementById('suggest');
  if (!input || !list) throw new Error('no search box or #suggest list on the page');
  const b = window.__bench = {};
  let st = null;
  input.addEventListener('input', ev => {
    if (!st) return;
    st.inputs++;
    if (!st.firstInput) st.firstInput = ev.timeStamp;
    st.lastInput = ev.timeStamp;
  });
  const origFetch = window.fetch;
  window.fetch = function (u, ...rest) {
    if (st && !st.fetchAt && String(u).endsWith('/api/search?q=' + encodeURIComponent(st.q))) st.fetchAt = performance.now();
    return origFetch.call(this, u, ...rest);
  };
  new MutationObserver(() => {
    if (!st || !st.fetchAt || st.domAt || list.hidden || list.children.length === 0) return;
    const s = st;
    s.domAt = performance.now();
    requestAnimationFrame(() => {
      s.frameAt = performance.now();
      s.done({inputs: s.inputs, typing: s.lastInput - s.firstInput, debounce: s.fetchAt - s.lastInput,
        dom: s.domAt - s.lastInput, frame: s.frameAt - s.lastInput, afterFetch: s.domAt - s.fetchAt,
        hits: list.children.length, first: list.children[0].textContent, timeout: false});
    });
  }).observe(list, {childList: true, attributes: true, attributeFilter: ['hidden']});
  b.reset = q => {
    input.value = '';
    list.replaceChildren();
    list.hidden = true;
    let done;
    const p = new Promise(r => { done = r; });
    st = {q: q, inputs: 0, firstInput: 0, lastInput: 0, fetchAt: 0, domAt: 0, frameAt: 0, done: done};
    const t = setTimeout(() => done({timeout: true, inputs: st.inputs, fetched: st.fetchAt > 0}), 10000);
    b.promise = p.then(v => { clearTimeout(t); return v; });
  };
})()`

// typed is one query's measurement, in ms.
type typed struct {
	Inputs     int     `json:"inputs"`
	Typing     float64 `json:"typing"`     // first to last input event
	Debounce   float64 `json:"debounce"`   // last input → search.js's fetch
	DOM        float64 `json:"dom"`        // last input → results in #suggest
	Frame      float64 `json:"frame"`      // last input → the frame that paints them
	AfterFetch float64 `json:"afterFetch"` // fetch → results in #suggest
	Hits       int     `json:"hits"`
	First      string  `json:"first"`
	Timeout    bool    `json:"timeout"`
	Fetched    bool    `json:"fetched"`
}

// searchAsYouType opens the catalog page once and types every query into
// its search box with real key events (Input.dispatchKeyEvent), one after
// the other, measuring each from its last input event.
func searchAsYouType(parent context.Context, url string, queries []string, progress func(i int, q string, t typed)) ([]typed, error) {
	tctx, cancelTab := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tctx, time.Duration(len(queries)+5)*15*time.Second)
	defer cancel()
	box := chromedp.CSS(`form.search input[name=q]`)
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(box),
		chromedp.Evaluate[chromedp.Void](searchInstall)); err != nil {
		return nil, fmt.Errorf("opening %s for the search: %w", url, err)
	}
	var out []typed
	for i, q := range queries {
		qj, _ := json.Marshal(q)
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("window.__bench.reset(%s)", qj)),
			chromedp.SendKeys(box, q)); err != nil {
			return out, fmt.Errorf("typing %q: %w", q, err)
		}
		t, err := chromedp.Run(ctx, chromedp.Evaluate[typed]("window.__bench.promise", chromedp.EvalAwaitPromise))
		if err != nil {
			return out, fmt.Errorf("waiting for the suggestions for %q: %w", q, err)
		}
		if t.Timeout {
			return out, fmt.Errorf("no suggestions for %q within 10 s (%d input events, fetch started: %v)", q, t.Inputs, t.Fetched)
		}
		if progress != nil {
			progress(i, q, t)
		}
		out = append(out, t)
	}
	return out, nil
}
