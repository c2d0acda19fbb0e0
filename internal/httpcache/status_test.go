package httpcache

import (
	"testing"
	"time"
)

func TestRFC9211_CacheStatus(t *testing.T) {
	tests := []struct {
		name string
		cs   CacheStatus
		want string
	}{
		// §2.1 hit, §2.4 ttl in seconds.
		{"fresh hit", CacheStatus{Name: "bulwark", Hit: true, TTL: 37 * time.Second, HasTTL: true}, "bulwark; hit; ttl=37"},
		// §2.2 fwd, §2.5 stored.
		{"miss stored", CacheStatus{Name: "bulwark", Fwd: "miss", Stored: true}, "bulwark; fwd=miss; stored"},
		// §2.3 fwd-status.
		{"revalidated", CacheStatus{Name: "bulwark", Fwd: "stale", FwdStatus: 200}, "bulwark; fwd=stale; fwd-status=200"},
		// §2.8 detail; §2.4 a stale ttl is negative.
		{"stale if error", CacheStatus{Name: "bulwark", Hit: true, TTL: -5 * time.Second, HasTTL: true, Detail: "stale-if-error"},
			"bulwark; hit; ttl=-5; detail=stale-if-error"},
		{"uri miss", CacheStatus{Name: "bulwark", Fwd: string(FwdURIMiss)}, "bulwark; fwd=uri-miss"},
		{"vary miss", CacheStatus{Name: "bulwark", Fwd: string(FwdVaryMiss)}, "bulwark; fwd=vary-miss"},
		{"request", CacheStatus{Name: "bulwark", Fwd: "request"}, "bulwark; fwd=request"},
		{"bypass", CacheStatus{Name: "bulwark", Fwd: "bypass"}, "bulwark; fwd=bypass"},
		// §2.6 collapsed; §2.7 key is an sf-string.
		{"collapsed with key", CacheStatus{Name: "bulwark", Hit: true, Collapsed: true, Key: `GET "x"`}, `bulwark; hit; collapsed; key="GET \"x\""`},
		// RFC 8941: a name that is not a token is an sf-string.
		{"name not a token", CacheStatus{Name: "edge cache", Hit: true}, `"edge cache"; hit`},
		{"detail not a token", CacheStatus{Name: "bulwark", Hit: true, Detail: "max stale"}, `bulwark; hit; detail="max stale"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cs.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
