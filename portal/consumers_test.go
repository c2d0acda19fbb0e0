package portal

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/catalog"
)

// consumersSite serves a portal over an empty catalog with three consumers
// (one named to attack the page) and three routed services, two of them
// rate limited.
func consumersSite(t *testing.T, show bool) *httptest.Server {
	t.Helper()
	seen := time.Now().Add(-90 * time.Second)
	srv := httptest.NewServer(Handler(Options{Path: "/portal", ShowConsumers: show,
		Catalog: catalog.New(catalog.Options{RouteOf: func(string) (catalog.Route, bool) { return catalog.Route{}, false }}),
		Consumers: func() []Consumer {
			return []Consumer{
				{Name: "alice", APIKeys: 2, Password: true, RateLimit: "5/s", Authenticated: 1234, Limited: 56, LastSeen: seen},
				{Name: "bob", APIKeys: 1},
				{Name: `<script>alert('consumer')</script>`, Password: true},
			}
		},
		Routed: func() []Routed { return []Routed{{Name: "pets"}, {Name: "orders"}, {Name: "open"}} },
		Admission: func(s string) (Admission, bool) {
			switch s {
			case "pets":
				return Admission{Verifiers: []string{"api_key"}, RateLimit: "100/s per consumer"}, true
			case "orders":
				return Admission{RateLimit: "10/s per client_ip, shared"}, true
			case "open":
				return Admission{Verifiers: []string{"jwt"}}, true
			}
			return Admission{}, false
		},
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTheConsumersPageListsEachConsumerAndEachServicesLimit(t *testing.T) {
	srv := consumersSite(t, true)
	code, hdr, body := page(t, srv, "/portal/consumers")
	if code != http.StatusOK {
		t.Fatalf("GET /portal/consumers: %d %s", code, body)
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") || hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", hdr)
	}
	for _, want := range []string{
		"<td>alice</td>", "<td>2 API keys, password</td>", "<td>5/s</td>", "<td>1234</td>", "<td>56</td>",
		"<td>bob</td>", "<td>1 API key</td>", `<span class="muted">the route's</span>`, `<span class="muted">never</span>`,
		`<a href="/portal/services/orders">orders</a> → 10/s per client_ip, shared`,
		`<a href="/portal/services/pets">pets</a> → 100/s per consumer`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not contain %q", want)
		}
	}
	// Seen 90 seconds before the page was asked for, and a busy machine
	// may take a while to answer.
	if !regexp.MustCompile(`<time datetime="[^"]+">1m3\ds ago</time>`).MatchString(body) {
		t.Error("alice's last request is not said as a time ago")
	}
	if strings.Contains(body, `services/open"`) {
		t.Error("a service without a rate limit is listed under the limits")
	}
	if i, j := strings.Index(body, "services/orders"), strings.Index(body, "services/pets"); i > j {
		t.Error("the services are not listed by name")
	}
}

func TestAHostileConsumerNameRendersInert(t *testing.T) {
	srv := consumersSite(t, true)
	_, _, body := page(t, srv, "/portal/consumers")
	if strings.Contains(body, "<script>alert") {
		t.Fatal("a consumer's name reached the page as markup")
	}
	if !strings.Contains(body, "<td>&lt;script&gt;alert(&#39;consumer&#39;)&lt;/script&gt;</td>") {
		t.Error("the hostile name is not shown as text")
	}
	if !strings.Contains(body, "<td>password</td>") {
		t.Error("a consumer with only a password is not said to have one")
	}
}

func TestTheConsumersPageExistsOnlyWhereShown(t *testing.T) {
	link := `href="/portal/consumers"`
	hidden := consumersSite(t, false)
	code, _, body := page(t, hidden, "/portal/consumers")
	if code != http.StatusNotFound || strings.Contains(body, "alice") {
		t.Errorf("with ShowConsumers off, GET /portal/consumers: %d %q", code, body)
	}
	shown := consumersSite(t, true)
	for _, path := range []string{"/portal/", "/portal/map", "/portal/search?q=x", "/portal/services/pets"} {
		if _, _, body := page(t, hidden, path); strings.Contains(body, link) {
			t.Errorf("with ShowConsumers off, %s links the consumers page", path)
		}
		if _, _, body := page(t, shown, path); !strings.Contains(body, link) {
			t.Errorf("with ShowConsumers on, %s does not link the consumers page", path)
		}
	}
	if !slices.Contains(Patterns("/portal"), "GET /portal/consumers") {
		t.Errorf("Patterns does not list the consumers page: %v", Patterns("/portal"))
	}
}

func TestAConsumerWithoutCredentialsIsKnownByItsTokenOnly(t *testing.T) {
	for _, tt := range []struct {
		c    Consumer
		want string
	}{
		{Consumer{APIKeys: 3}, "3 API keys"},
		{Consumer{APIKeys: 1, Password: true}, "1 API key, password"},
		{Consumer{}, "none (token claim only)"},
	} {
		if got := tt.c.credentials(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.c, got, tt.want)
		}
	}
	if ago(time.Time{}) != "never" || ago(time.Now().Add(time.Minute)) != "just now" {
		t.Errorf("ago: %q, %q", ago(time.Time{}), ago(time.Now().Add(time.Minute)))
	}
}
