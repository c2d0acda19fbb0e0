package test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// hostileOpenAPI puts script and javascript: URLs in every string the portal
// shows: titles, descriptions, tags, parameter names, enums, property names,
// examples and external docs.
const hostileOpenAPI = `{"openapi":"3.0.3",
"info":{"title":"<script>alert('title')</script>","version":"<img src=x onerror=alert('version')>",
  "description":"[click](javascript:alert('info'))<script>alert('info')</script>"},
"externalDocs":{"url":"javascript:alert('docs')"},
"paths":{"/evil":{"post":{"operationId":"evil","summary":"<script>alert('summary')</script>",
  "description":"<a href=\"javascript:alert('desc')\">click</a> <img src=x onerror=alert('desc')>","tags":["<b onmouseover=alert('tag')>tag</b>"],
  "parameters":[{"name":"q<script>alert('param')</script>","in":"query","description":"<iframe src=javascript:alert('p')>",
    "schema":{"type":"string","enum":["<script>alert('enum')</script>"]}}],
  "requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{
    "<script>alert('field')</script>":{"type":"string","description":"[x](javascript:alert('field'))","example":"<script>alert('example')</script>"}}}}}},
  "responses":{"200":{"description":"<svg onload=alert('response')>",
    "content":{"application/json":{"example":{"<script>alert('key')</script>":"<img src=x onerror=alert('value')>"}}}}}}}}}`

// hostileHAL is a HAL root whose relations, titles and hrefs attack the HAL
// browser, with a link to another host that must not be followed.
const hostileHAL = `{"title":"<script>alert('hal title')</script>",
"_links":{"self":{"href":"/"},
  "curies":[{"name":"x","href":"javascript:alert('curie'){rel}","templated":true}],
  "x:<img src=x onerror=alert('rel')>":{"href":"javascript:alert('href')","title":"<script>alert('link title')</script>"},
  "data":{"href":"data:text/html,<script>alert('data')</script>"},
  "elsewhere":{"href":"ELSEWHERE/steal","title":"another host"},
  "find":{"href":"/things{?q}","templated":true,"title":"<img src=x onerror=alert('template')>"}},
"_embedded":{"item":[{"name":"<script>alert('embedded')</script>","_links":{"self":{"href":"javascript:alert('embedded')"}}}]},
"<script>alert('prop')</script>":"<img src=x onerror=alert('prop')>"}`

// TestAHostileDocumentIsInertInChromium serves a hostile OpenAPI document and a
// hostile HAL API through the real gateway and opens every portal page that
// shows them in real Chromium: no script may run (alert is replaced before
// any page script, and a JavaScript dialog fails the test too), no link may
// lead to a javascript: or data: URL, and the HAL browser must not fetch the
// other host's link.
func TestAHostileDocumentIsInertInChromium(t *testing.T) {
	var elsewhere atomic.Int64 // requests that reached a path only the hostile links name
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, hostileOpenAPI)
	}))
	t.Cleanup(evil.Close)
	var selfURL atomic.Value // the HAL server's own URL: a host that is not the gateway
	evilHAL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "application/hal+json")
			io.WriteString(w, strings.ReplaceAll(hostileHAL, "ELSEWHERE", selfURL.Load().(string)))
		case "/steal":
			elsewhere.Add(1)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(evilHAL.Close)
	selfURL.Store(evilHAL.URL)

	gw := startServe(t, func(p ports) string {
		return fmt.Sprintf(`listen:
  http: %q
admin:
  listen: %q
  token: %q
discovery:
  static:
    - service: evil
      instances: [%q]
    - service: evilhal
      instances: [%q]
services:
  evilhal:
    docs: {hal: /}
routes:
  - path: /evil
    service: evil
  - path: /evilhal
    service: evilhal
    strip_prefix: true
`, p.HTTP, p.Admin, adminToken, evil.Listener.Addr().String(), evilHAL.Listener.Addr().String())
	})
	ctx, problems := browser(t)
	alerted := make(chan string, 16)
	if err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			select {
			case alerted <- "dialog: " + d.Message:
			default:
			}
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}); err != nil {
		t.Fatal(err)
	}
	// Before any page script: any alert, confirm or prompt a hostile string
	// managed to call is recorded instead of shown.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__ran = []; for (const f of ["alert", "confirm", "prompt"]) window[f] = (m) => { window.__ran.push(f + ": " + m); };`,
	}); err != nil {
		t.Fatal(err)
	}

	// Wait for the catalog to have read both documents.
	deadline := time.Now().Add(15 * time.Second)
	for {
		res := do(t, newClient(t), "GET", gw.url("/portal/api/services"), nil)
		if strings.Contains(res.Body, `"evilhal"`) && strings.Contains(res.Body, `"evil"`) && strings.Contains(res.Body, "openapi-3.0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the catalog never read both documents: %s", res.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	for _, path := range []string{"/portal/", "/portal/services/evil", "/portal/services/evil/operations/evil",
		"/portal/search?q=evil", "/portal/services/evilhal", "/portal/services/evilhal/browse", "/portal/map"} {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := chromedp.Do(sctx, chromedp.Navigate(gw.url(path)), chromedp.WaitReady(chromedp.CSS("main")))
		if err == nil && strings.HasSuffix(path, "/browse") {
			// The HAL browser builds its page from the root it fetches, and
			// shows the links it will not follow as text.
			var links string
			if err = chromedp.Do(sctx, chromedp.WaitVisible(chromedp.CSS("#links li"))); err == nil {
				links, err = chromedp.Run(sctx, chromedp.Text(chromedp.CSS("#links")))
			}
			if err == nil &&
				strings.Count(links, "not followed") < 3 {
				t.Errorf("the HAL browser does not mark the javascript:, data: and other host's links as not followed: %q", links)
			}
		}
		if err == nil {
			var report string
			report, err = chromedp.Run(sctx, chromedp.Evaluate[string](`(() => {
				const bad = [];
				for (const a of document.querySelectorAll("a[href], area[href], form[action], iframe, embed, object")) {
					const u = a.href || a.action || a.src || "";
					if (/^\s*(javascript|data|vbscript):/i.test(u)) bad.push(a.tagName + " " + u);
					else if (u && new URL(u, location.href).origin !== location.origin) bad.push(a.tagName + " to another origin " + u);
					if (a.tagName !== "A" && a.tagName !== "FORM") bad.push(a.tagName);
				}
				for (const s of document.querySelectorAll("script")) {
					if (!s.src || new URL(s.src).origin !== location.origin) bad.push("script " + (s.src || s.textContent.slice(0, 40)));
				}
				for (const el of document.querySelectorAll("*")) {
					for (const at of el.attributes) if (/^on/i.test(at.name)) bad.push(el.tagName + " " + at.name);
				}
				return JSON.stringify({ran: window.__ran, bad: bad});
			})()`))
			if err == nil && report != `{"ran":[],"bad":[]}` {
				t.Errorf("%s: %s", path, report)
			}
		}
		cancel()
		if err != nil {
			t.Fatalf("%s: %v (page problems: %v)", path, err, problems())
		}
		screenshot(t, ctx, "hostile"+strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(path))
	}
	select {
	case d := <-alerted:
		t.Errorf("a JavaScript dialog opened: %s", d)
	default:
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the page fetched the other host's link %d times", n)
	}
}
