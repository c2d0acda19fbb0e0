package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tester talks real HTTP to a fleet started for one test.
type tester struct {
	t      *testing.T
	fleet  *Fleet
	client *http.Client
}

func startFleet(t *testing.T) *tester {
	t.Helper()
	f, err := Start(t.Context(), nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &tester{t: t, fleet: f, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

func (ts *tester) service(name string) Service {
	ts.t.Helper()
	for _, s := range ts.fleet.Services {
		if s.Name == name {
			return s
		}
	}
	ts.t.Fatalf("no service %q in the fleet", name)
	return Service{}
}

// url returns the URL of path on instance i (0 or 1) of a service.
func (ts *tester) url(name string, i int, path string) string {
	return "http://" + ts.service(name).Instances[i] + path
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; header holds extra headers as "Name", "value" pairs.
func (ts *tester) do(method, url, contentType, body string, header ...string) response {
	ts.t.Helper()
	req, err := http.NewRequestWithContext(ts.t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// expect fails the test unless the response has the status and media type.
func (r response) expect(t *testing.T, status int, mediaType string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.body)
	}
	if got := r.header.Get("Content-Type"); mediaType != "" && !strings.HasPrefix(got, mediaType) {
		t.Fatalf("Content-Type = %q, want %s; body: %s", got, mediaType, r.body)
	}
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func TestStartRunsEveryServiceTwice(t *testing.T) {
	ts := startFleet(t)
	tests := []struct {
		name, route, openapi, hal string
		strip                     bool
	}{
		{name: "pets", route: "/pets", openapi: "/openapi.json"},
		{name: "orders", route: "/orders", openapi: "/swagger.json"},
		{name: "library", route: "/library", hal: "/", strip: true},
	}
	if len(ts.fleet.Services) != len(tests) {
		t.Fatalf("got %d services, want %d", len(ts.fleet.Services), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name+" is described and answers /healthz on both instances", func(t *testing.T) {
			s := ts.service(tt.name)
			if s.Route != tt.route || s.StripPrefix != tt.strip || s.OpenAPI != tt.openapi || s.HAL != tt.hal {
				t.Errorf("service = %+v, want route %s strip %v openapi %q hal %q", s, tt.route, tt.strip, tt.openapi, tt.hal)
			}
			if len(s.Instances) != 2 || s.Instances[0] == s.Instances[1] {
				t.Fatalf("instances = %v, want two distinct addresses", s.Instances)
			}
			for i, addr := range s.Instances {
				if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
					t.Errorf("instance %q is not a loopback host:port", addr)
				}
				ts.do("GET", ts.url(tt.name, i, "/healthz"), "", "").expect(t, http.StatusOK, "application/json")
			}
		})
	}
}

func TestCloseEndsOpenStreamsAndEveryGoroutine(t *testing.T) {
	f, err := Start(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://" + f.Services[0].Instances[0] + "/pets/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatalf("reading the first line of the stream: %v", err)
	}

	// A stream holding Shutdown up would end in the deadline error.
	if err := f.Close(); err != nil {
		t.Fatalf("Close with an open stream: %v", err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Logf("the stream ended with %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	tr.CloseIdleConnections()
	goleak.VerifyNone(t)
}

func TestFleetStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f, err := Start(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := f.Close(); err != nil { // waits for the shutdown the context started
		t.Fatalf("Close after the context ended: %v", err)
	}
	for _, s := range f.Services {
		for _, addr := range s.Instances {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				t.Errorf("%s instance %s still accepts connections", s.Name, addr)
			}
		}
	}
	goleak.VerifyNone(t)
}

// The README sends users to the log line "demo service started" for an
// instance's address (to PUT /_demo/fault to): every instance gets one.
func TestStartLogsEveryInstanceAddressUnderDemoServiceStarted(t *testing.T) {
	var buf strings.Builder
	f, err := Start(t.Context(), slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logged := buf.String()
	for _, s := range f.Services {
		for _, addr := range s.Instances {
			found := false
			for line := range strings.Lines(logged) {
				if strings.Contains(line, `msg="demo service started"`) && strings.Contains(line, "service="+s.Name) &&
					strings.Contains(line, "addr="+addr) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %q line names %s instance %s:\n%s", "demo service started", s.Name, addr, logged)
			}
		}
	}
}
