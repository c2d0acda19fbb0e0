package gateway

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// FuzzPathReachesTheUpstreamAsRouted holds the path rules to their promise,
// differentially: for any request target the gateway forwards,
//   - the upstream's decoded path (net/url's reading of what it received) is the
//     path the route decision was made on, minus a stripped prefix;
//   - without its matrix parameters it would take the same route;
//   - path.Clean, the standard library's reading, leaves it unchanged;
//   - no lenient reading (percent-decoding up to three times with net/url,
//     Unicode NFKC normalisation, "\" as "/", matrix parameters dropped,
//     trailing spaces trimmed) finds a dot segment or an empty segment in it.
//
// Every target the gateway refuses must never have reached the upstream.
func FuzzPathReachesTheUpstreamAsRouted(f *testing.F) {
	for _, tt := range readAsDotSegments {
		f.Add(tt.target)
	}
	for _, s := range notDotSegments {
		f.Add(s)
	}
	for _, s := range []string{
		"/library/a;b/c", "/library/..;/x", "/%6Cibrary/x", "/library", "/library/", "/a%20b",
		"/a/%2e", "/a/%u002e%u002e/", "/a/%C0%AE/", "/a/.%00./", "/a?x=../..", "/library;x/..;/y",
		"/a/%e2%80%a4%e2%80%a4/", "/a/\u2025/", "/a/..\\b", "/a/%252F", "/a/;/",
	} {
		f.Add(s)
	}
	g, seenURI := pathFuzzGateway(f)
	f.Fuzz(func(t *testing.T, target string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
			"GET " + target + " HTTP/1.1\r\nHost: shop.example.com\r\n\r\n")))
		if err != nil {
			return // not a request line net/http's server would read either
		}
		req.RemoteAddr = "127.0.0.1:1"
		decided := req.URL.Path
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		got := rec.Result().Header.Get(seenURI)
		if rec.Code != http.StatusOK {
			if got != "" {
				t.Fatalf("GET %q answered %d but reached the upstream as %q", target, rec.Code, got)
			}
			return
		}
		if got == "" {
			t.Fatalf("GET %q answered 200 without reaching the upstream", target)
		}
		up, err := url.ParseRequestURI(got)
		if err != nil {
			t.Fatalf("GET %q reached the upstream as %q, which net/url cannot read: %v", target, got, err)
		}
		want := decided
		rest, library := cutPathPrefix(decided, "/library")
		if library {
			want = rest
		}
		if _, plain := cutPathPrefix(withoutMatrix(decided), "/library"); plain != library {
			t.Fatalf("GET %q took the /library route = %v, but = %v once its matrix parameters are removed", target, library, plain)
		}
		if up.Path != want {
			t.Fatalf("GET %q: the route decision saw %q, the upstream reads %q", target, want, up.Path)
		}
		if c := path.Clean(up.Path); c != up.Path && c+"/" != up.Path {
			t.Fatalf("GET %q reached the upstream as %q, which path.Clean reads as %q", target, got, c)
		}
		if reason := lenientReadingEscapes(up.EscapedPath()); reason != "" {
			t.Fatalf("GET %q reached the upstream as %q: %s", target, got, reason)
		}
	})
}

// cutPathPrefix strips prefix from p at a segment boundary, as a strip_prefix
// route does.
func cutPathPrefix(p, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(p, prefix)
	switch {
	case !ok:
		return p, false
	case rest == "":
		return "/", true
	case rest[0] == '/':
		return rest, true
	}
	return p, false
}

// lenientReadingEscapes reads an escaped path the way the most lenient servers
// do, with net/url doing the decoding, and says why that reading would leave
// a segment, or "".
func lenientReadingEscapes(escaped string) string {
	p := escaped
	for range 4 {
		next, err := url.PathUnescape(p)
		if err != nil || next == p {
			break
		}
		p = next
	}
	p = strings.ReplaceAll(norm.NFKC.String(p), "\\", "/")
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, seg := range segs {
		name, _, _ := strings.Cut(seg, ";")
		name = strings.TrimRight(name, " ")
		switch {
		case name != "" && strings.Trim(name, ".") == "":
			return "a lenient reading finds the dot segment " + `"` + seg + `"`
		case name == "" && i < len(segs)-1:
			return "a lenient reading finds an empty segment"
		case strings.ContainsRune(name, 0):
			return "a lenient reading finds a NUL"
		}
	}
	return ""
}

// pathFuzzGateway routes "/" and "/library" (strip_prefix) to one upstream that
// answers with the request target it received in a header.
func pathFuzzGateway(f *testing.F) (*Gateway, string) {
	const seenURI = "X-Seen-Uri"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(seenURI, r.RequestURI)
	}))
	up.Config.ErrorLog = discardLog()
	g := New(Options{})
	addr := up.Listener.Addr().String()
	g.Configure(Config{Routes: []Route{
		{Name: "all", Path: "/", Service: "svc"},
		{Name: "library", Path: "/library", StripPrefix: true, Service: "svc"},
	}}, snapshot(f, map[string][]string{"svc": {addr}}))
	var once sync.Once
	f.Cleanup(func() {
		once.Do(func() {
			up.Close()
			g.Close()
		})
	})
	return g, seenURI
}

// withoutMatrix drops every segment's matrix parameters (";...").
func withoutMatrix(p string) string {
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i], _, _ = strings.Cut(seg, ";")
	}
	return strings.Join(segs, "/")
}
