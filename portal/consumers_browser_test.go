package portal

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
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
	path := os.Getenv("BULWARK_CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium: run eval \"$(scripts/conformance-tools.sh)\"")
		}
		t.Skip("no Chromium: run eval \"$(scripts/conformance-tools.sh)\"")
	}
	srv := consumersSite(t, true)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelRun := context.WithTimeout(ctx, 30*time.Second)
	defer cancelRun()
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			problems = append(problems, "console "+string(e.Type)) // the hostile name would call alert, not console
		}
	}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/portal/"), chromedp.WaitVisible(chromedp.CSS("h1")),
		chromedp.Click(chromedp.CSS(`header a[href="/portal/consumers"]`)), chromedp.WaitVisible(chromedp.CSS("#consumers")))
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
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the pages logged errors: %s", strings.Join(problems, "; "))
	}
}
