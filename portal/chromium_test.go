package portal

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium starts real Chromium (headless, Debian's, from
// scripts/conformance-tools.sh) for one test and returns its context and
// what its pages reported: every exception, and each console call that
// counts (counts nil: console errors only). Without Chromium the test
// skips, or fails under CI.
func chromium(t *testing.T, counts func(*runtime.EventConsoleAPICalled) bool) (context.Context, func() []string) {
	t.Helper()
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
	if counts == nil {
		counts = func(e *runtime.EventConsoleAPICalled) bool { return e.Type == runtime.ConsoleAPICalledTypeError }
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if counts(e) {
				problems = append(problems, "console "+string(e.Type))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return ctx, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), problems...) }
}
