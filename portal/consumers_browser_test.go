package portal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestTheConsumersPageRendersInChromium opens the consumers page in real
// Chromium, through the catalog's header link, and fails on any console
// call or exception: the hostile consumer name must be text in the table
// and run nothing (an alert would also stall the page until the deadline).
func TestTheConsumersPageRendersInChromium(t *testing.T) {
	// Every console call counts: the hostile name would call alert, not console.
	ctx, problems := chromium(t, func(*runtime.EventConsoleAPICalled) bool { return true })
	srv := consumersSite(t, true)
	ctx, cancelRun := context.WithTimeout(ctx, 30*time.Second)
	defer cancelRun()
	// The header's link is followed by its href rather than clicked: a
	// click can land on a node the page has just replaced ("no node with
	// given id"), which says nothing about the link.
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal/"), chromedp.WaitVisible(chromedp.CSS(`header a[href="/portal/consumers"]`)))
	var href string
	if err == nil {
		href, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('header a[href="/portal/consumers"]').getAttribute("href")`))
	}
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Navigate(srv.URL+href), chromedp.WaitVisible(chromedp.CSS("#consumers")))
	}
	var names string
	if err == nil {
		names, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#consumers tbody")))
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(names, "alice") || !strings.Contains(names, "<script>alert('consumer')</script>") {
		t.Errorf("the table reads %q", names)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("the pages logged errors: %s", strings.Join(p, "; "))
	}
}
