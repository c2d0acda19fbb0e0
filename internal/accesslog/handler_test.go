package accesslog

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// The access log handler must write what slog's own handlers write, byte for
// byte, on both paths: switching to it changes no log parser downstream.

var accessLogCases = []struct {
	name string
	e    Entry
}{
	{"a routed request", Entry{
		Method: "GET", Host: "127.0.0.1:8080", Path: "/pets/1", Status: 200, Bytes: 1024,
		Duration: 312 * time.Microsecond, Remote: "127.0.0.1:50000", RequestID: "0123456789abcdef",
		Route: "/pets", Service: "pets", Instance: "127.0.0.1:9001",
	}},
	{"an unrouted request with an error", Entry{
		Method: "GET", Host: "evil.example", Path: "/a b=\"c\"\n<&>\xff", Status: 404,
		Duration: 3 * time.Second, Remote: "[::1]:1", RequestID: "r", Err: "no route matches the request",
	}},
	{"a request with empty values", Entry{Method: "", Host: "", Path: "/", Status: 499, Bytes: -1}},
	{"an authenticated request, its consumer named by a token", Entry{
		Method: "POST", Host: "api", Path: "/orders", Status: 201, Route: "/orders", Service: "orders",
		Consumer: "user \"x\"\n=1", Instance: "127.0.0.1:9002",
	}},
}

func TestAccessLogDirectPathMatchesSlog(t *testing.T) {
	when := time.Date(2026, 11, 26, 7, 16, 13, 688_123_456, time.UTC)
	for _, json := range []bool{false, true} {
		for _, tc := range accessLogCases {
			t.Run(tc.name+map[bool]string{false: " (logfmt)", true: " (JSON)"}[json], func(t *testing.T) {
				var got, want bytes.Buffer
				var std slog.Handler = slog.NewTextHandler(&want, nil)
				if json {
					std = slog.NewJSONHandler(&want, nil)
				}
				std = std.WithAttrs([]slog.Attr{slog.String("component", "access")})
				fast := New(&got, json).WithAttrs([]slog.Attr{slog.String("component", "access")}).(*Handler)

				if err := fast.LogRequest(when, &tc.e); err != nil {
					t.Fatal(err)
				}
				if err := std.Handle(context.Background(), tc.e.Record(when)); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("direct path differs from slog\n got: %s\nwant: %s", got.String(), want.String())
				}
			})
		}
	}
}

func TestAccessLogGenericPathMatchesSlog(t *testing.T) {
	when := time.Date(2026, 11, 26, 7, 16, 13, 688_000_000, time.FixedZone("X", 3600))
	attrs := []slog.Attr{
		slog.String("empty", ""), slog.String("spaced", "a b=c"), slog.String("quote", `say "hi"`),
		slog.String("control", "line\nbreak\ttab\x00"), slog.String("html", "<script>&</script>"),
		slog.String("utf8", "café ☕"), slog.String("invalid", "bad\xffbyte"), slog.String("sep", "a\u2028b"),
		slog.Int("status", 200), slog.Int64("neg", -1), slog.Uint64("big", 1<<63), slog.Bool("ok", true),
		slog.Duration("duration", 1234567*time.Nanosecond), slog.Float64("ratio", 0.5),
	}
	for _, json := range []bool{false, true} {
		var got, want bytes.Buffer
		var std slog.Handler = slog.NewTextHandler(&want, nil)
		if json {
			std = slog.NewJSONHandler(&want, nil)
		}
		fast := New(&got, json)
		for _, h := range []slog.Handler{fast, std} {
			r := slog.NewRecord(when, slog.LevelWarn, "generic", 0)
			r.AddAttrs(attrs...)
			if err := h.Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		}
		if got.String() != want.String() {
			t.Errorf("json=%v: generic path differs from slog\n got: %s\nwant: %s", json, got.String(), want.String())
		}
	}
}

func TestAccessLogReusesTheTimestampOnlyWithinAMillisecond(t *testing.T) {
	var buf bytes.Buffer
	h := New(&buf, false)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	for _, at := range []time.Time{t0, t0.Add(500 * time.Microsecond), t0.Add(time.Millisecond)} {
		_ = h.LogRequest(at, &Entry{Path: "/"})
	}
	want := []string{"03:04:05.006Z", "03:04:05.006Z", "03:04:05.007Z"}
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	for i, w := range want {
		if !bytes.Contains(lines[i], []byte(w)) {
			t.Errorf("line %d = %s, want time %s", i, lines[i], w)
		}
	}
}

func BenchmarkAccessLog(b *testing.B) {
	e := accessLogCases[0].e
	b.Run("direct", func(b *testing.B) {
		h := New(discardWriter{}, false)
		b.ReportAllocs()
		for b.Loop() {
			_ = h.LogRequest(time.Now(), &e)
		}
	})
	b.Run("slog-text", func(b *testing.B) {
		h := slog.NewTextHandler(discardWriter{}, nil)
		b.ReportAllocs()
		for b.Loop() {
			_ = h.Handle(context.Background(), e.Record(time.Now()))
		}
	})
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
