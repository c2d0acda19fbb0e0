package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browser starts real Chromium (headless) for one test, collecting every
// console error and uncaught exception of its pages, and the CSP violations
// Chromium reports there. Chromium comes from scripts/conformance-tools.sh
// (Debian's package); without it the test skips, or fails under CI.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	path := os.Getenv("BULWARK_CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		msg := "no Chromium: run eval \"$(scripts/conformance-tools.sh)\" or install Debian's chromium"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900))
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
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console error: "+strings.Join(args, " "))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return ctx, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), problems...) }
}

// screenshot keeps a picture of the page as a CI artifact in test/artifacts.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG; below it, JPEG
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join(moduleRoot, "test", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

// TestPortalInChromium drives the demo's portal in a real browser: the
// catalog, a search, a service, and try-it requests (a GET and a POST) sent
// from the page through the gateway to the sample services.
func TestPortalInChromium(t *testing.T) {
	gw := startDemo(t)
	ctx, problems := browser(t)
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v (page problems: %v)", what, err, problems())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}

	// The catalog fills in the background: wait for the three services.
	deadline := time.Now().Add(15 * time.Second)
	for {
		step("open the catalog", chromedp.Navigate(gw.url("/portal/")), chromedp.WaitVisible(chromedp.CSS("table.services")))
		if body := text("table.services"); strings.Contains(body, "pets") && strings.Contains(body, "library") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the catalog never listed the services: %q", text("main"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	screenshot(t, ctx, "portal-catalog")

	step("search as you type", chromedp.SendKeys(chromedp.CSS(`input[name=q]`), "orders"),
		chromedp.WaitVisible(chromedp.CSS(`#suggest li a`)))
	if s := text("#suggest"); !strings.Contains(s, "orders") {
		t.Errorf("suggestions for 'orders': %q", s)
	}
	screenshot(t, ctx, "portal-suggest")
	step("walk the suggestions with the keyboard", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("h1")))
	if u, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(u, "/portal/services/orders") {
		t.Errorf("arrow down and Enter on the suggestions led to %q (%v)", u, err)
	}
	step("back to the catalog", chromedp.Navigate(gw.url("/portal/")), chromedp.WaitVisible(chromedp.CSS("table.services")))
	step("slash focuses the search box", chromedp.KeyEvent("/"))
	if focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.name || ""`)); err != nil || focused != "q" {
		t.Errorf("after '/', the focus is on %q (%v), not the search box", focused, err)
	}
	step("search", chromedp.SetValue(chromedp.CSS(`input[name=q]`), "pet"), chromedp.Submit(chromedp.CSS(`form.search`)),
		chromedp.WaitVisible(chromedp.CSS("ul.hits")))
	if hits := text("ul.hits"); !strings.Contains(hits, "/pets") {
		t.Errorf("searching 'pet' found %q", hits)
	}
	screenshot(t, ctx, "portal-search")

	step("try GET /pets", chromedp.Navigate(gw.url("/portal/services/pets/operations/listpets")),
		chromedp.WaitVisible(chromedp.CSS("#tryit button")), chromedp.Click(chromedp.CSS("#tryit button")),
		chromedp.WaitVisible(chromedp.CSS("#result")))
	if st := text("#status"); !strings.HasPrefix(st, "200") {
		t.Errorf("GET /pets from the page: status %q, body %q", st, text("#body"))
	}
	if body := text("#body"); !strings.Contains(body, `"name"`) {
		t.Errorf("GET /pets body in the page: %q", body)
	}
	screenshot(t, ctx, "portal-try-get")

	step("try POST /pets", chromedp.Navigate(gw.url("/portal/services/pets/operations/createpet")),
		chromedp.WaitVisible(chromedp.CSS("#tryit textarea")),
		chromedp.SetValue(chromedp.CSS("#tryit textarea"), `{"name": "Chromie", "tag": "browser"}`),
		chromedp.Click(chromedp.CSS("#tryit button")), chromedp.WaitVisible(chromedp.CSS("#result")))
	if st := text("#status"); !strings.HasPrefix(st, "201") {
		t.Errorf("POST /pets from the page: status %q, body %q", st, text("#body"))
	}
	if timing := text("#timing"); !strings.Contains(timing, "upstream") {
		t.Errorf("the page does not show the gateway's Server-Timing: %q", timing)
	}
	screenshot(t, ctx, "portal-try-post")

	// The system map refreshes itself from map.json (its script runs under
	// the portal's CSP): wait for a refresh, then read the services.
	step("system map", chromedp.Navigate(gw.url("/portal/map")), chromedp.WaitVisible(chromedp.CSS("#map[data-updated]")))
	if m := text("#map"); !strings.Contains(m, "pets") || !strings.Contains(m, "orders") {
		t.Errorf("the system map shows %q", m)
	}
	screenshot(t, ctx, "portal-map")

	// The HAL browser walks the library from its root, through the gateway:
	// a plain link, then a templated one filled in by its form.
	step("HAL root", chromedp.Navigate(gw.url("/portal/services/library/browse")),
		chromedp.WaitVisible(chromedp.CSS(`#hal[data-loaded="/library/"]`)))
	if links := text("#links"); !strings.Contains(links, "Books") || !strings.Contains(links, "lib:search") {
		t.Errorf("HAL root links: %q", links)
	}
	step("follow lib:books", chromedp.Click(chromedp.Search(`//a[text()="Books"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#hal[data-loaded="/library/books"]`)))
	if emb := text("#embedded"); emb == "" {
		t.Error("the books resource shows no embedded books")
	}
	screenshot(t, ctx, "portal-hal-books")
	step("templated lib:search", chromedp.Navigate(gw.url("/portal/services/library/browse")),
		chromedp.WaitVisible(chromedp.CSS(`form.templated input[name=q]`)),
		chromedp.SetValue(chromedp.CSS(`form.templated input[name=q]`), "dune"),
		chromedp.Click(chromedp.CSS(`form.templated button`)), // form.submit() would skip the page's handler
		chromedp.WaitVisible(chromedp.CSS(`#hal[data-loaded^="/library/books?q=dune"]`)))
	if st := text("#hal-status"); !strings.HasPrefix(st, "200") {
		t.Errorf("the templated search answered %q", st)
	}
	screenshot(t, ctx, "portal-hal-search")

	// The pet created from the browser is there, through the gateway.
	if r := do(t, newClient(t), "GET", gw.url("/pets"), nil); !strings.Contains(r.Body, "Chromie") {
		t.Errorf("the pet posted from the page is not in GET /pets: %s", r.Body)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("the pages logged errors: %v", p)
	}
	fmt.Fprintln(os.Stderr, "portal screenshots in test/artifacts")
}
