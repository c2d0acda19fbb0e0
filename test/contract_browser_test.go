package test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestContractDriftShowsOnThePortalInChromium: the demo checks every pets
// request and response against the pets document (validate, report mode).
// One pets instance is set to drift (its JSON answers lose "status", which
// the document requires); after a few reads through the gateway, the
// portal's getPet page says in real Chromium that live traffic disagrees
// with the document, at /body/status, while every request was answered.
func TestContractDriftShowsOnThePortalInChromium(t *testing.T) {
	gw := startDemo(t)
	c := newClient(t)
	// The pets instances, from the demo's log lines.
	addrs := regexp.MustCompile(`(?m)msg="demo service started".* service=pets .*addr=(\S+)$`).FindAllStringSubmatch(gw.stderr.String(), -1)
	if len(addrs) == 0 {
		t.Fatalf("no pets instance in the demo's log:\n%s", gw.stderr.String())
	}
	for _, a := range addrs {
		if r := do(t, c, http.MethodPut, "http://"+a[1]+"/_demo/fault?mode=drift", nil); r.Status != 200 {
			t.Fatalf("setting drift on %s: %d %s", a[1], r.Status, r.Body)
		}
	}
	t.Cleanup(func() {
		for _, a := range addrs {
			do(t, c, http.MethodPut, "http://"+a[1]+"/_demo/fault?mode=off", nil)
		}
	})
	ctx, problems := browser(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Reads through the gateway: answered, and sampled for the check.
		for range 4 {
			if r := do(t, c, http.MethodGet, gw.url("/pets/1"), nil); r.Status != 200 || strings.Contains(r.Body, `"status"`) {
				t.Fatalf("GET /pets/1 through the gateway: %d %s (want 200 without status: drift is on)", r.Status, r.Body)
			}
		}
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := chromedp.Do(sctx, chromedp.Navigate(gw.url("/portal/services/pets/operations/getpet")),
			chromedp.WaitVisible(chromedp.CSS("h1")))
		var text string
		if err == nil {
			text, err = chromedp.Run(sctx, chromedp.Text(chromedp.CSS("main")))
		}
		cancel()
		if err != nil {
			t.Fatalf("opening the getPet page: %v (page problems: %v)", err, problems())
		}
		if strings.Contains(text, "Live traffic disagrees with this document") && strings.Contains(text, "/body/status") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the getPet page never said the traffic disagrees with the document:\n%s", text)
		}
		time.Sleep(300 * time.Millisecond)
	}
	screenshot(t, ctx, "portal-contract-drift")
	if p := problems(); len(p) > 0 {
		t.Errorf("page problems: %v", p)
	}
}
