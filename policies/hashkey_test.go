package policies_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/policies"
)

func TestParseHashKey(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    policies.HashKey
		wantErr string // "" means accepted
	}{
		{name: "a header key is accepted", in: "header:X-User",
			want: policies.HashKey{From: "header", Name: "X-User"}},
		{name: "a cookie key is accepted", in: "cookie:session",
			want: policies.HashKey{From: "cookie", Name: "session"}},
		{name: "a path segment key is accepted", in: "path:2",
			want: policies.HashKey{From: "path", Segment: 2}},
		{name: "a name containing a colon keeps everything after the first colon", in: "header:a:b",
			want: policies.HashKey{From: "header", Name: "a:b"}},
		{name: "an empty string is rejected", in: "", wantErr: "want header:NAME"},
		{name: "a source without a colon is rejected", in: "header", wantErr: "want header:NAME"},
		{name: "a header without a name is rejected", in: "header:", wantErr: "want header:NAME"},
		{name: "a cookie without a name is rejected", in: "cookie:", wantErr: "want header:NAME"},
		{name: "path segment 0 is rejected", in: "path:0", wantErr: "path segment must be a number from 1"},
		{name: "a negative path segment is rejected", in: "path:-1", wantErr: "path segment must be a number from 1"},
		{name: "a non-numeric path segment is rejected", in: "path:id", wantErr: "path segment must be a number from 1"},
		{name: "an unknown source is rejected", in: "query:id", wantErr: `unknown source "query"`},
		{name: "sources are case-sensitive", in: "Header:X-User", wantErr: `unknown source "Header"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := policies.ParseHashKey(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseHashKey(%q) = %+v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				if got != (policies.HashKey{}) {
					t.Errorf("ParseHashKey(%q) returned %+v with its error, want the zero HashKey", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseHashKey(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseHashKey(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestHashKeyExtract(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		request func() *http.Request
		want    string
		wantOK  bool
	}{
		{
			name: "a header key reads the header",
			key:  "header:X-User",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("X-User", "alice")
				return r
			},
			want: "alice", wantOK: true,
		},
		{
			name: "a header key matches the header name case-insensitively",
			key:  "header:x-user",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("X-USER", "bob")
				return r
			},
			want: "bob", wantOK: true,
		},
		{
			name:    "a missing header gives no key",
			key:     "header:X-User",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) },
			want:    "", wantOK: false,
		},
		{
			name: "an empty header gives no key",
			key:  "header:X-User",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("X-User", "")
				return r
			},
			want: "", wantOK: false,
		},
		{
			name: "a cookie key reads the cookie",
			key:  "cookie:session",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.AddCookie(&http.Cookie{Name: "other", Value: "x"})
				r.AddCookie(&http.Cookie{Name: "session", Value: "s-123"})
				return r
			},
			want: "s-123", wantOK: true,
		},
		{
			name: "a missing cookie gives no key",
			key:  "cookie:session",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.AddCookie(&http.Cookie{Name: "other", Value: "x"})
				return r
			},
			want: "", wantOK: false,
		},
		{
			name: "an empty cookie gives no key",
			key:  "cookie:session",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("Cookie", "session=")
				return r
			},
			want: "", wantOK: false,
		},
		{
			name:    "path:2 on /carts/42/items is the second segment",
			key:     "path:2",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/carts/42/items", nil) },
			want:    "42", wantOK: true,
		},
		{
			name:    "path:1 on /carts/42/items is the first segment",
			key:     "path:1",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/carts/42/items", nil) },
			want:    "carts", wantOK: true,
		},
		{
			name:    "path:3 on /carts/42/items is the last segment",
			key:     "path:3",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/carts/42/items", nil) },
			want:    "items", wantOK: true,
		},
		{
			name:    "a segment past the end of the path gives no key",
			key:     "path:4",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/carts/42/items", nil) },
			want:    "", wantOK: false,
		},
		{
			name:    "the empty segment after a trailing slash gives no key",
			key:     "path:4",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/carts/42/items/", nil) },
			want:    "", wantOK: false,
		},
		{
			name:    "a trailing slash does not change the segment before it",
			key:     "path:2",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/carts/42/", nil) },
			want:    "42", wantOK: true,
		},
		{
			name:    "the root path has no first segment",
			key:     "path:1",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) },
			want:    "", wantOK: false,
		},
		{
			name:    "an empty segment between slashes gives no key",
			key:     "path:2",
			request: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/carts//items", nil) },
			want:    "", wantOK: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := policies.ParseHashKey(tt.key)
			if err != nil {
				t.Fatalf("ParseHashKey(%q): %v", tt.key, err)
			}
			r := tt.request()
			got, ok := k.Extract(r)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("%s Extract(%s) = %q, %v; want %q, %v", tt.key, r.URL.Path, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestHashKeyExtractZeroValue(t *testing.T) {
	t.Run("a zero HashKey never finds a key", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/carts/42", nil)
		r.Header.Set("X-User", "alice")
		if got, ok := (policies.HashKey{}).Extract(r); ok || got != "" {
			t.Errorf("HashKey{}.Extract = %q, %v; want \"\", false", got, ok)
		}
	})
}
