package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/portal"
)

func TestConsumersCrossToThePortalUnchanged(t *testing.T) {
	seen := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	got := toPortalConsumers([]gateway.ConsumerView{
		{Name: "billing", APIKeys: 2, Password: true, RateLimit: "1000/s", Authenticated: 7, Limited: 3, LastSeen: &seen},
		{Name: "idle"},
	})
	want := []portal.Consumer{
		{Name: "billing", APIKeys: 2, Password: true, RateLimit: "1000/s", Authenticated: 7, Limited: 3, LastSeen: seen},
		{Name: "idle"}, // never seen: the zero time
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := toPortalConsumers(nil); got == nil || len(got) != 0 {
		t.Errorf("no consumers: %#v", got)
	}
}

// consumersConfig routes one rate-limited service and configures one consumer; USERS is
// replaced by the portal block under test.
const consumersConfig = `listen:
  http: "127.0.0.1:0"
admin:
  listen: ""
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9001"]
routes:
  - path: /pets
    service: pets
services:
  pets:
    rate_limit: {rate: 100/s, key: consumer}
    auth: {api_keys: {enabled: true}}
consumers:
  billing:
    api_keys: ["sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    rate_limit: 5/s
USERS`

// TestThePortalShowsConsumersOnlyBehindUsers runs the wiring: behind
// portal.users the consumers page lists the file's consumers and the
// route's limit; an open portal has no such page.
func TestThePortalShowsConsumersOnlyBehindUsers(t *testing.T) {
	get := func(t *testing.T, portalBlock string, user string) (int, string) {
		t.Helper()
		rt, err := newRuntime(parse(t, strings.Replace(consumersConfig, "USERS", portalBlock, 1)), "test.yaml", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		defer rt.accessOut.Close()
		req := httptest.NewRequest("GET", "/portal/consumers", nil)
		if user != "" {
			req.SetBasicAuth(user, "long enough password")
		}
		rec := httptest.NewRecorder()
		rt.gw.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	code, body := get(t, "portal: {users: {ada: \"long enough password\"}}\n", "ada")
	if code != http.StatusOK {
		t.Fatalf("behind users: %d %s", code, body)
	}
	for _, want := range []string{"<td>billing</td>", "<td>1 API key</td>", "<td>5/s</td>", "100/s per consumer"} {
		if !strings.Contains(body, want) {
			t.Errorf("the consumers page does not contain %q", want)
		}
	}
	if strings.Contains(body, "9f86d08") {
		t.Error("the consumers page shows a key's hash")
	}
	if code, _ := get(t, "portal: {users: {ada: \"long enough password\"}}\n", ""); code != http.StatusUnauthorized {
		t.Errorf("without signing in: %d, want 401", code)
	}
	for _, block := range []string{"", "portal: {instances: shown}\n"} {
		if code, body := get(t, block, ""); code != http.StatusNotFound || strings.Contains(body, "billing") {
			t.Errorf("an open portal (%q): %d %q", block, code, body)
		}
	}
}
