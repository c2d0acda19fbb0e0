package test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// offOriginDocument has operations whose path, or whose server, a browser
// resolves to another origin (EVIL) while it starts with one "/": a
// backslash (read as a slash in http URLs), a tab (dropped by the URL
// parser), two slashes, and an escaped backslash (which stays a path). Every
// operation asks for an API key, so a credential is typed before sending.
const offOriginDocument = `{"openapi":"3.0.3","info":{"title":"Off origin","version":"1"},
"components":{"securitySchemes":{"key":{"type":"apiKey","in":"header","name":"X-Api-Key"}}},
"security":[{"key":[]}],
"paths":{
 "/\\EVIL/steal":{"get":{"operationId":"backslash","responses":{"200":{"description":"ok"}}}},
 "/\t/EVIL/steal":{"get":{"operationId":"tab","responses":{"200":{"description":"ok"}}}},
 "//EVIL/steal":{"get":{"operationId":"double","responses":{"200":{"description":"ok"}}}},
 "/%5CEVIL/steal":{"get":{"operationId":"escaped","responses":{"200":{"description":"ok"}}}}}}`

// offOriginServer puts the backslash in the document's server instead.
const offOriginServer = `{"openapi":"3.0.3","info":{"title":"Off origin server","version":"1"},
"servers":[{"url":"/\\EVIL"}],
"components":{"securitySchemes":{"key":{"type":"apiKey","in":"header","name":"X-Api-Key"}}},
"security":[{"key":[]}],
"paths":{"/steal":{"get":{"operationId":"viaserver","responses":{"200":{"description":"ok"}}}}}}`

// TestTryItNeverSendsToAnotherOrigin opens, in real Chromium, the try-it
// form of operations whose path or server leads off the gateway's origin,
// types a credential and presses Send. A second loopback listener stands in
// for the other origin and answers CORS generously, so anything sent would
// arrive there with the credential; it must receive nothing, Chromium must
// report no request to any origin but the gateway's, and the page must say
// it refused.
func TestTryItNeverSendsToAnotherOrigin(t *testing.T) {
	var mu sync.Mutex
	var stolen []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stolen = append(stolen, r.Method+" "+r.URL.String()+" key="+r.Header.Get("X-Api-Key")+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Headers", "*, Authorization")
		w.Header().Set("Access-Control-Allow-Private-Network", "true")
		io.WriteString(w, "stolen")
	}))
	t.Cleanup(evil.Close)
	evilHost := evil.Listener.Addr().String()
	serve := func(doc string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/openapi.json" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, strings.ReplaceAll(doc, "EVIL", evilHost))
		}))
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	paths, server := serve(offOriginDocument), serve(offOriginServer)
	gw := startServe(t, func(p ports) string {
		return fmt.Sprintf(`listen:
  http: %q
admin:
  listen: %q
  token: %q
discovery:
  static:
    - service: paths
      instances: [%q]
    - service: server
      instances: [%q]
services:
  paths:
    docs: {openapi: /openapi.json}
  server:
    docs: {openapi: /openapi.json}
routes:
  - path: /
    service: paths
  - path: /steal
    service: server
`, p.HTTP, p.Admin, adminToken, paths, server)
	})
	c := newClient(t)
	ops := map[string]string{} // slug → service, once the catalog has both documents
	deadline := time.Now().Add(20 * time.Second)
	for len(ops) < 5 {
		for _, svc := range []string{"paths", "server"} {
			var v struct{ Operations []struct{ Slug string } }
			_ = json.Unmarshal([]byte(do(t, c, "GET", gw.url("/portal/api/services/"+svc), nil).Body), &v)
			for _, op := range v.Operations {
				ops[op.Slug] = svc
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the catalog never read both documents: %v", ops)
		}
		time.Sleep(100 * time.Millisecond)
	}

	ctx, problems := browser(t)
	origin := "http://" + gw.ports.HTTP
	var reqMu sync.Mutex
	var elsewhere []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u, err := url.Parse(e.Request.URL)
			if err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ws" || u.Scheme == "wss") && u.Scheme+"://"+u.Host != origin {
				reqMu.Lock()
				elsewhere = append(elsewhere, e.Request.Method+" "+e.Request.URL)
				reqMu.Unlock()
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	// First as deployed, then with the portal's Content-Security-Policy
	// (connect-src 'self') switched off: the CSP stops a cross-origin fetch
	// too, but try-it's own check must hold without it.
	for _, bypassCSP := range []bool{false, true} {
		if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: bypassCSP}); err != nil {
			t.Fatal(err)
		}
		for slug, svc := range ops {
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := chromedp.Do(sctx,
				chromedp.Navigate(gw.url("/portal/services/"+svc+"/operations/"+slug)),
				chromedp.WaitVisible(chromedp.CSS("#tryit button")),
				chromedp.SetValue(chromedp.CSS("#tryit input[name=cred]"), "typed-api-key"),
				chromedp.SetValue(chromedp.CSS("#tryit input[name=auth]"), "Authorization: Bearer typed-token"),
				chromedp.Click(chromedp.CSS("#tryit button")),
				chromedp.WaitVisible(chromedp.CSS("#result")))
			var status string
			if err == nil {
				status, err = chromedp.Run(sctx, chromedp.Text(chromedp.CSS("#status")))
			}
			cancel()
			if err != nil {
				t.Fatalf("%s: %v (page problems: %v)", slug, err, problems())
			}
			// The escaped backslash stays a path on this origin: it may be
			// sent there. Every other one leads away and must be refused.
			if refused := strings.HasPrefix(status, "refused"); refused == (slug == "escaped") {
				t.Errorf("%s (CSP bypassed: %v): try-it says %q", slug, bypassCSP, status)
			}
			if bypassCSP {
				screenshot(t, ctx, "tryit-off-origin-"+slug)
			}
		}
	}
	// One more page load: anything sent late has arrived by the time it is done.
	if err := chromedp.Do(ctx, chromedp.Navigate(gw.url("/portal/")), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stolen) > 0 {
		t.Errorf("the other origin received %d requests from try-it: %v", len(stolen), stolen)
	}
	reqMu.Lock()
	defer reqMu.Unlock()
	if len(elsewhere) > 0 {
		t.Errorf("Chromium sent requests to other origins: %v", elsewhere)
	}
}
