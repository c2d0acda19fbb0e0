package portal

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestEveryFixtureRendersInChromium opens every real fixture's service page
// and its first operation page in real Chromium and fails on any console
// error or exception (a CSP violation included). Chromium comes from
// scripts/conformance-tools.sh; without it the test skips, or fails under CI.
func TestEveryFixtureRendersInChromium(t *testing.T) {
	ctx, problems := chromium(t, nil)
	h, names := fixtureSite(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, name := range names {
		sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
		err := chromedp.Do(sctx, chromedp.Navigate(srv.URL+"/portal/services/"+name), chromedp.WaitVisible(chromedp.CSS("h1")))
		var href string
		if err == nil {
			href, err = chromedp.Run(sctx, chromedp.Evaluate[string](
				`(document.querySelector("ul.operations a") || {getAttribute: () => ""}).getAttribute("href") || ""`))
		}
		if err == nil && href != "" {
			err = chromedp.Do(sctx, chromedp.Navigate(srv.URL+href), chromedp.WaitVisible(chromedp.CSS("#tryit")))
		}
		scancel()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Twilio's document asks for HTTP basic authentication: try-it offers a
	// field for it, puts it in the request (the curl line shows the same
	// request), and keeps it for the tab only, across pages of the service.
	sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
	defer scancel()
	op := srv.URL + "/portal/services/oas30-twilio-messaging-v1/operations/fetchdeactivation"
	err := chromedp.Do(sctx, chromedp.Navigate(op), chromedp.WaitVisible(chromedp.CSS(`input[name=cred]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=cred]`), "QUM6c2VjcmV0"))
	var curl, kept string
	if err == nil {
		curl, err = chromedp.Run(sctx, chromedp.Text(chromedp.CSS("#curl")))
	}
	if err == nil {
		err = chromedp.Do(sctx, chromedp.Click(chromedp.CSS("#tryit button")), chromedp.WaitVisible(chromedp.CSS("#result")),
			chromedp.Navigate(op), chromedp.WaitVisible(chromedp.CSS(`input[name=cred]`)))
	}
	if err == nil {
		kept, err = chromedp.Run(sctx, chromedp.Value(chromedp.CSS(`input[name=cred]`)))
	}
	if err != nil {
		t.Fatalf("the credential field: %v", err)
	}
	if !strings.Contains(curl, "-H 'Authorization: Basic QUM6c2VjcmV0'") {
		t.Errorf("the curl line does not carry the credential: %q", curl)
	}
	if kept != "QUM6c2VjcmV0" {
		t.Errorf("after sending and reloading, the field holds %q", kept)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("the pages logged errors: %s", strings.Join(p, "; "))
	}
}
