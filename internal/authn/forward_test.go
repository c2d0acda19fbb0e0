package authn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// authService is a real auth server on loopback that records what it was
// asked and answers with respond.
type authService struct {
	srv *httptest.Server

	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	method string
	header http.Header
	body   []byte
}

func newAuthService(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *authService {
	t.Helper()
	a := &authService{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.seen = append(a.seen, seenRequest{method: r.Method, header: r.Header.Clone(), body: body})
		a.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *authService) last(t *testing.T) seenRequest {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.seen) == 0 {
		t.Fatal("the auth service was not asked")
	}
	return a.seen[len(a.seen)-1]
}

func newForward(t *testing.T, cfg ForwardConfig) *Forward {
	t.Helper()
	f, err := NewForward(cfg)
	if err != nil {
		t.Fatalf("NewForward: %v", err)
	}
	t.Cleanup(f.Close)
	return f
}

// clientRequest is a client's POST with a body and the headers the gateway
// would pass on.
func clientRequest() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://api.example/v1/items?page=2&q=a%20b", strings.NewReader("secret client body"))
	r.Header.Set("Authorization", "Bearer abc")
	r.Header.Add("Cookie", "session=1")
	r.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
	r.Header.Set("X-Private", "do not send")
	return r
}

func TestForwardAdmitsOnA2xxAndCopiesTheChosenHeaders(t *testing.T) {
	a := newAuthService(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-User", "alice")
		w.Header().Add("X-Scopes", "read")
		w.Header().Add("X-Scopes", "write")
		w.Header().Set("X-Internal", "not for upstream")
		_, _ = w.Write([]byte("ok"))
	})
	f := newForward(t, ForwardConfig{URL: a.srv.URL + "/check", ResponseHeaders: []string{"x-user", "X-Scopes"}, ConsumerHeader: "X-User"})
	id, denial, err := f.Verify(context.Background(), clientRequest())
	if err != nil || denial != nil {
		t.Fatalf("Verify = %+v, %+v, %v", id, denial, err)
	}
	if id.Method != MethodForward || id.Consumer != "alice" {
		t.Fatalf("identity = %+v", id)
	}
	if got := id.Header.Values("X-Scopes"); len(got) != 2 || id.Header.Get("X-User") != "alice" || id.Header.Get("X-Internal") != "" {
		t.Fatalf("identity headers = %v", id.Header)
	}

	seen := a.last(t)
	want := map[string]string{
		"Authorization":      "Bearer abc",
		"Cookie":             "session=1",
		"X-Forwarded-Method": "POST",
		"X-Forwarded-Proto":  "http",
		"X-Forwarded-Host":   "api.example",
		"X-Forwarded-Uri":    "/v1/items?page=2&q=a%20b",
		"X-Forwarded-For":    "203.0.113.7, 10.0.0.1",
		"X-Private":          "",
	}
	for h, v := range want {
		if got := seen.header.Get(h); got != v {
			t.Errorf("auth service saw %s %q, want %q", h, got, v)
		}
	}
	if seen.method != http.MethodGet || len(seen.body) != 0 {
		t.Fatalf("auth service saw %s with %d body bytes, want GET with none", seen.method, len(seen.body))
	}
}

func TestForwardLeavesTheConsumerEmptyWithoutAConsumerHeader(t *testing.T) {
	a := newAuthService(t, func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-User", "alice") })
	f := newForward(t, ForwardConfig{URL: a.srv.URL})
	id, _, err := f.Verify(context.Background(), clientRequest())
	if err != nil || id.Consumer != "" || len(id.Header) != 0 {
		t.Fatalf("Verify = %+v, %v; want an anonymous identity with no headers", id, err)
	}
}

func TestForwardRelaysDenials(t *testing.T) {
	var followed atomic.Int64
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	t.Cleanup(login.Close)
	big := bytes.Repeat([]byte("x"), 1<<20)
	tests := []struct {
		name     string
		respond  func(w http.ResponseWriter, r *http.Request)
		status   int
		header   map[string]string // relayed; "" = must not be relayed
		bodySize int
	}{
		{"a 401 relays its challenge and body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("X-Auth-Node", "auth-7")
			w.WriteHeader(401)
			_, _ = w.Write([]byte("log in"))
		}, 401, map[string]string{"WWW-Authenticate": `Bearer realm="api"`, "Content-Type": "text/plain", "X-Auth-Node": ""}, 6},
		{"a 302 to a login page is relayed, not followed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Set-Cookie", "state=xyz")
			http.Redirect(w, r, login.URL+"/login", http.StatusFound)
		}, 302, map[string]string{"Location": login.URL + "/login", "Set-Cookie": "state=xyz"}, -1},
		{"a 403 with Retry-After is relayed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(403)
		}, 403, map[string]string{"Retry-After": "30"}, 0},
		{"a 500 answer is relayed like any other", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, 500, nil, 0},
		{"a huge body is capped at 64 KiB", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			_, _ = w.Write(big)
		}, 401, nil, 64 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthService(t, tc.respond)
			f := newForward(t, ForwardConfig{URL: a.srv.URL})
			id, d, err := f.Verify(context.Background(), clientRequest())
			if err != nil || d == nil {
				t.Fatalf("Verify = %+v, %+v, %v; want a denial", id, d, err)
			}
			if d.Status != tc.status {
				t.Fatalf("denial status %d, want %d", d.Status, tc.status)
			}
			for h, v := range tc.header {
				if got := d.Header.Get(h); got != v {
					t.Errorf("denial header %s = %q, want %q", h, got, v)
				}
			}
			if tc.bodySize >= 0 && len(d.Body) != tc.bodySize {
				t.Fatalf("denial body has %d bytes, want %d", len(d.Body), tc.bodySize)
			}
		})
	}
	if n := followed.Load(); n != 0 {
		t.Fatalf("the redirect was followed %d times", n)
	}
}

func TestForwardIsUnavailableWhenTheServiceDoesNotAnswer(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	tests := []struct {
		name    string
		url     func(t *testing.T) string
		timeout time.Duration
	}{
		{"the service is not listening", func(*testing.T) string { return goneURL }, 0},
		{"the service answers too late", func(t *testing.T) string {
			return newAuthService(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }).srv.URL
		}, 50 * time.Millisecond},
		{"the service cuts the connection", func(t *testing.T) string {
			return newAuthService(t, func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }).srv.URL
		}, 0},
		{"the service sends half a denial body", func(t *testing.T) string {
			return newAuthService(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
				w.WriteHeader(401)
				_, _ = w.Write([]byte("half"))
				panic(http.ErrAbortHandler)
			}).srv.URL
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newForward(t, ForwardConfig{URL: tc.url(t), Timeout: tc.timeout})
			_, d, err := f.Verify(context.Background(), clientRequest())
			if d != nil {
				t.Fatalf("got a denial %+v, want an error", d)
			}
			reason, status := reasonOf(t, err)
			if reason != ReasonUnavailable || status != http.StatusServiceUnavailable {
				t.Fatalf("refused with %s/%d, want unavailable/503", reason, status)
			}
		})
	}
}

func TestForwardNeverFollowsRedirectsEvenWithAGivenClient(t *testing.T) {
	var followed atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	t.Cleanup(target.Close)
	a := newAuthService(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	})
	tr := newTransport(time.Second)
	t.Cleanup(tr.CloseIdleConnections)
	f := newForward(t, ForwardConfig{URL: a.srv.URL, Client: &http.Client{Transport: tr}})
	_, d, err := f.Verify(context.Background(), clientRequest())
	if err != nil || d == nil || d.Status != http.StatusTemporaryRedirect || followed.Load() != 0 {
		t.Fatalf("Verify = %+v, %v; followed %d times", d, err, followed.Load())
	}
}

func TestNewForwardRefusesBadConfigurations(t *testing.T) {
	tests := []struct {
		name string
		cfg  ForwardConfig
	}{
		{"a missing URL", ForwardConfig{}},
		{"a URL without a scheme", ForwardConfig{URL: "auth.internal/check"}},
		{"a request header that is not a header name", ForwardConfig{URL: "http://127.0.0.1/", RequestHeaders: []string{"Bad Header"}}},
		{"a response header that is not a header name", ForwardConfig{URL: "http://127.0.0.1/", ResponseHeaders: []string{"a:b"}}},
		{"a consumer header that is not a header name", ForwardConfig{URL: "http://127.0.0.1/", ConsumerHeader: "x y"}},
		{"a negative timeout", ForwardConfig{URL: "http://127.0.0.1/", Timeout: -time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewForward(tc.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("NewForward error = %v, want ErrConfig", err)
			}
		})
	}
}
