package test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Try-it on a streaming endpoint shows the answer as it arrives: the demo's
// GET /pets/events (server-sent events) used to show nothing, the page
// waiting for a body that never ends. In real Chromium: Send shows 200 and
// each event as it is published, Stop ends the request, at the page (the
// button goes, nothing more is appended) and at the gateway (its in-flight
// gauge for pets is back to zero).
func TestPortalTryItStreamsServerSentEventsAndStops(t *testing.T) {
	gw := startDemo(t)
	ctx, problems := browser(t)
	c := newClient(t)
	eval := func(js string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluating %s: %v (page problems: %v)", js, err, problems())
		}
		return s
	}
	waitPage := func(what, js string) string {
		t.Helper()
		var got string
		if !eventually(20*time.Second, func() bool { got = eval(js); return got != "" }) {
			t.Fatalf("%s never happened (page problems: %v)", what, problems())
		}
		return got
	}
	body := `document.getElementById("body").textContent`
	events := func() int { return strings.Count(eval(body), "event: pet.created") }
	post := func(name string) {
		t.Helper()
		if r := do(t, c, "POST", gw.url("/pets"), strings.NewReader(`{"name":"`+name+`"}`), "Content-Type", "application/json"); r.Status != 201 {
			t.Fatalf("POST /pets: %d %s", r.Status, r.Body)
		}
	}

	// The catalog fills in the background: wait for the operation's page.
	op := gw.url("/portal/services/pets/operations/streampetevents")
	if !eventually(20*time.Second, func() bool {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, chromedp.Navigate(op)); err != nil {
			t.Fatalf("opening %s: %v", op, err)
		}
		return eval(`document.getElementById("tryit") ? "yes" : ""`) != ""
	}) {
		t.Fatalf("%s never showed a try-it form", op)
	}

	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err := chromedp.Do(sctx, chromedp.Click(chromedp.CSS("#tryit button[type=submit]")))
	cancel()
	if err != nil {
		t.Fatalf("pressing Send: %v", err)
	}
	// The status and headers come at once, while the body goes on.
	status := waitPage("the status", `document.getElementById("status").textContent`)
	if !strings.HasPrefix(status, "200") {
		t.Fatalf("status %q, want 200", status)
	}
	if h := eval(`document.getElementById("headers").textContent`); !strings.Contains(h, "text/event-stream") {
		t.Errorf("headers shown: %q, want the event stream's content type", h)
	}
	waitPage("the stream's first comment", `document.getElementById("body").textContent.includes(": connected") ? "yes" : ""`)
	if eval(`document.getElementById("stop").hidden ? "" : "shown"`) == "" {
		t.Error("the Stop button is hidden while the stream runs")
	}

	post("Streamy")
	post("Streamer")
	if !eventually(20*time.Second, func() bool { return events() >= 2 }) {
		t.Fatalf("the page shows %d events after two pets were created:\n%s", events(), eval(body))
	}
	if n := petsInFlight(t, gw); n < 1 {
		t.Errorf("the gateway counts %v pets requests in flight while the stream runs, want at least 1", n)
	}
	screenshot(t, ctx, "portal-try-stream")

	sctx, cancel = context.WithTimeout(ctx, 20*time.Second)
	err = chromedp.Do(sctx, chromedp.Click(chromedp.CSS("#stop")))
	cancel()
	if err != nil {
		t.Fatalf("pressing Stop: %v", err)
	}
	waitPage("the Stop button going", `document.getElementById("stop").hidden ? "gone" : ""`)
	if st := eval(`document.getElementById("state").textContent`); !strings.HasPrefix(st, "stopped") {
		t.Errorf("after Stop the page says %q", st)
	}
	var n float64
	if !eventually(20*time.Second, func() bool { n = petsInFlight(t, gw); return n == 0 }) {
		t.Errorf("the gateway still counts %v pets requests in flight after Stop", n)
	}
	shown := events()
	post("Unseen")
	// The event is published at once: had the stream been open, the page would
	// show it within this wait.
	time.Sleep(time.Second)
	if got := events(); got != shown {
		t.Errorf("an event was appended after Stop: %d events, %d before", got, shown)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("the page logged errors: %v", p)
	}
}

// petsInFlight sums the gateway's bulwark_requests_in_flight for service pets.
func petsInFlight(t *testing.T, gw *proc) float64 {
	t.Helper()
	r := do(t, newClient(t), "GET", gw.adminURL("/metrics"), nil)
	var sum float64
	for _, line := range strings.Split(r.Body, "\n") {
		if !strings.HasPrefix(line, "bulwark_requests_in_flight{") || !strings.Contains(line, `service="pets"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}
