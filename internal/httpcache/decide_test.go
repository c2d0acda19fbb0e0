package httpcache

import (
	"testing"
	"time"
)

func TestRFC9111_5_2_1_RequestDirectives(t *testing.T) {
	tests := []struct {
		name     string
		reqLines []string
		resCC    string
		now      int
		want     Action
	}{
		{"no entry is a miss", nil, "", -1, Miss},
		// §5.2.1.7 SHOULD: only-if-cached with nothing usable → 504.
		{"only-if-cached without an entry", []string{"Cache-Control: only-if-cached"}, "", -1, OnlyIfCachedMiss},
		{"only-if-cached with a fresh entry", []string{"Cache-Control: only-if-cached"}, "max-age=60", 10, ServeFresh},
		{"only-if-cached with a stale entry", []string{"Cache-Control: only-if-cached"}, "max-age=60", 100, OnlyIfCachedMiss},
		{"a fresh entry is served", nil, "max-age=60", 10, ServeFresh},
		// §4.2.4 MUST NOT serve stale unless permitted.
		{"a stale entry revalidates", nil, "max-age=60", 61, Revalidate},
		// §5.2.1.4 MUST NOT use a stored response without validation.
		{"request no-cache", []string{"Cache-Control: no-cache"}, "max-age=60", 10, Revalidate},
		// §5.4 MUST treat Pragma: no-cache as no-cache when Cache-Control is absent.
		{"Pragma: no-cache", []string{"Pragma: no-cache"}, "max-age=60", 10, Revalidate},
		{"Pragma ignored beside Cache-Control", []string{"Pragma: no-cache", "Cache-Control: max-stale=1"}, "max-age=60", 10, ServeFresh},
		// §5.2.1.1: the client wants age <= max-age.
		{"request max-age met", []string{"Cache-Control: max-age=30"}, "max-age=60", 10, ServeFresh},
		{"request max-age exceeded", []string{"Cache-Control: max-age=5"}, "max-age=60", 10, Revalidate},
		{"request max-age=0", []string{"Cache-Control: max-age=0"}, "max-age=60", 0, Revalidate},
		{"invalid request max-age is ignored", []string{"Cache-Control: max-age=x"}, "max-age=60", 10, ServeFresh},
		// §5.2.1.3: min-fresh asks for remaining freshness.
		{"min-fresh met", []string{"Cache-Control: min-fresh=20"}, "max-age=60", 10, ServeFresh},
		{"min-fresh not met", []string{"Cache-Control: min-fresh=55"}, "max-age=60", 10, Revalidate},
		// §5.2.1.2: max-stale allows stale within its bound, or any without a value.
		{"max-stale within", []string{"Cache-Control: max-stale=10"}, "max-age=60", 65, ServeStale},
		{"max-stale beyond", []string{"Cache-Control: max-stale=10"}, "max-age=60", 75, Revalidate},
		{"max-stale any", []string{"Cache-Control: max-stale"}, "max-age=60", 100000, ServeStale},
		// §4.2.4 MUST NOT serve stale against must-revalidate, proxy-revalidate, s-maxage, no-cache.
		{"max-stale vs must-revalidate", []string{"Cache-Control: max-stale"}, "max-age=60, must-revalidate", 100, Revalidate},
		{"max-stale vs proxy-revalidate", []string{"Cache-Control: max-stale"}, "max-age=60, proxy-revalidate", 100, Revalidate},
		{"max-stale vs s-maxage", []string{"Cache-Control: max-stale"}, "s-maxage=60", 100, Revalidate},
		// §5.2.2.4 MUST NOT use a no-cache response without validation, even fresh.
		{"response no-cache", nil, "max-age=60, no-cache", 1, Revalidate},
		// §5.2.2.4 MAY reuse a qualified no-cache response: its fields are not stored.
		{"qualified response no-cache", nil, `max-age=60, no-cache="X-A"`, 1, ServeFresh},
		{"qualified response no-cache, stale", []string{"Cache-Control: max-stale"}, `max-age=60, no-cache="X-A"`, 100, ServeStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *Entry
			if tt.now >= 0 {
				e = stored("Cache-Control: " + tt.resCC)
			}
			d := Decide(newReq("GET", tt.reqLines...), e, at(max(tt.now, 0)))
			if d.Action != tt.want {
				t.Errorf("Decide = %v (%s), want %v", d.Action, d.Reason, tt.want)
			}
		})
	}
}

func TestRFC5861_StaleWhileRevalidate(t *testing.T) {
	tests := []struct {
		name  string
		resCC string
		now   int
		want  Action
	}{
		{"fresh is fresh", "max-age=60, stale-while-revalidate=30", 30, ServeFresh},
		// RFC 5861 §3: stale may be served within the window while revalidating.
		{"within the window", "max-age=60, stale-while-revalidate=30", 80, StaleWhileRevalidate},
		{"at the edge of the window", "max-age=60, stale-while-revalidate=30", 90, StaleWhileRevalidate},
		{"beyond the window", "max-age=60, stale-while-revalidate=30", 91, Revalidate},
		// RFC 9111 §4.2.4 MUST NOT serve stale when a directive forbids it.
		{"must-revalidate forbids it", "max-age=60, stale-while-revalidate=30, must-revalidate", 80, Revalidate},
		{"s-maxage forbids it", "s-maxage=60, stale-while-revalidate=30", 80, Revalidate},
		{"an invalid window is none", "max-age=60, stale-while-revalidate=x", 61, Revalidate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(newReq("GET"), stored("Cache-Control: "+tt.resCC), at(tt.now))
			if d.Action != tt.want {
				t.Errorf("Decide = %v (%s), want %v", d.Action, d.Reason, tt.want)
			}
		})
	}
}

func TestRFC5861_StaleIfError(t *testing.T) {
	tests := []struct {
		name     string
		resCC    string
		reqLines []string
		opts     Options
		now      int
		want     bool
		left     time.Duration
	}{
		{"no permission", "max-age=60", nil, Options{}, 70, false, 0},
		// RFC 5861 §4: the response directive permits stale for its window after expiry.
		{"response window", "max-age=60, stale-if-error=30", nil, Options{}, 70, true, 20 * time.Second},
		{"response window passed", "max-age=60, stale-if-error=30", nil, Options{}, 91, false, 0},
		// RFC 5861 §4: so may the request directive.
		{"request window", "max-age=60", []string{"Cache-Control: stale-if-error=100"}, Options{}, 70, true, 90 * time.Second},
		{"the gateway's window", "max-age=60", nil, Options{StaleOnError: time.Minute}, 70, true, 50 * time.Second},
		{"the largest window counts", "max-age=60, stale-if-error=5", nil, Options{StaleOnError: time.Minute}, 70, true, 50 * time.Second},
		// RFC 9111 §4.2.4 MUST NOT generate stale when forbidden by directives.
		{"must-revalidate", "max-age=60, must-revalidate, stale-if-error=30", nil, Options{StaleOnError: time.Minute}, 70, false, 0},
		{"proxy-revalidate", "max-age=60, proxy-revalidate", nil, Options{StaleOnError: time.Minute}, 70, false, 0},
		{"s-maxage", "s-maxage=60, stale-if-error=30", nil, Options{}, 70, false, 0},
		{"no-cache", "no-cache, stale-if-error=30", nil, Options{}, 70, false, 0},
		{"a client's no-cache", "max-age=60", []string{"Cache-Control: no-cache"}, Options{StaleOnError: time.Minute}, 70, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, left := stored("Cache-Control: "+tt.resCC).StaleIfError(newReq("GET", tt.reqLines...), at(tt.now), tt.opts)
			if ok != tt.want || left != tt.left {
				t.Errorf("StaleIfError = %v, %v; want %v, %v", ok, left, tt.want, tt.left)
			}
		})
	}
}
