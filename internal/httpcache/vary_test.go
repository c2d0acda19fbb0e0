package httpcache

import (
	"net/http"
	"testing"
)

func TestVaryMatchesComparesWhatTheOriginSawWithWhatTheCacheSees(t *testing.T) {
	seen := http.Header{"Accept-Language": {"en"}, "X-Api-Key": {"k1"}}
	tests := []struct {
		name string
		vary string
		sent http.Header
		want bool
	}{
		{"a field passed on as it came", "Accept-Language", http.Header{"Accept-Language": {"en"}}, true},
		{"a field the gateway added (the caller's identity)", "X-Consumer", http.Header{"Accept-Language": {"en"}, "X-Consumer": {"alice"}}, false},
		{"a field the gateway took off (a checked credential)", "X-Api-Key", http.Header{"Accept-Language": {"en"}}, false},
		{"a field the gateway replaced", "Accept-Language", http.Header{"Accept-Language": {"fr"}}, false},
		{"a field neither has", "X-None", http.Header{}, true},
		{"one mismatch among several", "Accept-Language, X-Consumer", http.Header{"Accept-Language": {"en"}, "X-Consumer": {"a"}}, false},
		{"no Vary", "", http.Header{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := http.Header{}
			if tt.vary != "" {
				res.Set("Vary", tt.vary)
			}
			if got := VaryMatches(res, seen, tt.sent); got != tt.want {
				t.Errorf("VaryMatches = %v, want %v", got, tt.want)
			}
		})
	}
}
