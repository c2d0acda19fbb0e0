package portal

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTryItCarriesTheGatewaysAPIKeyInChromium opens, in real Chromium, the
// page of an operation the gateway guards with its own API key header (not
// the document's): the page says what is enforced, try-it offers the
// gateway's header, and the request it sends to the gateway's route
// carries the key there.
func TestTryItCarriesTheGatewaysAPIKeyInChromium(t *testing.T) {
	ctx, _ := chromium(t, nil)
	var mu sync.Mutex
	var got []string // the X-Gateway-Key of each request the route received
	srv := admissionSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/keyed/pets/7" {
			mu.Lock()
			got = append(got, r.Header.Get("X-Gateway-Key"))
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"7"}`))
	}))
	ctx, cancelRun := context.WithTimeout(ctx, 30*time.Second)
	defer cancelRun()

	field := `input[name=cred][data-name="X-Gateway-Key"]`
	op := srv.URL + "/portal/services/keyed/operations/getpet"
	err := chromedp.Do(ctx, chromedp.Navigate(op), chromedp.WaitVisible(chromedp.CSS(field)),
		chromedp.SendKeys(chromedp.CSS(field), "k-123"))
	var line, curl string
	if err == nil {
		line, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#enforced")))
	}
	if err == nil {
		curl, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#curl")))
	}
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tryit button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#result")))
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "Enforced by the gateway on every operation: API key in header X-Gateway-Key") {
		t.Errorf("the enforcement line says %q", line)
	}
	if !strings.Contains(curl, "-H 'X-Gateway-Key: k-123'") {
		t.Errorf("the curl line does not carry the gateway's key: %q", curl)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "k-123" {
		t.Errorf("the gateway's route received X-Gateway-Key %q, want one request with k-123", got)
	}
}
