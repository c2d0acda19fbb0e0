package httpcache

import (
	"testing"
	"time"
)

func TestRFC9111_4_2_1_CalculatingFreshnessLifetime(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name   string
		opts   Options
		status int
		lines  []string
		want   time.Duration
	}{
		// §4.2.1: a shared cache uses s-maxage first.
		{"s-maxage beats max-age", Options{}, 200, []string{"Cache-Control: max-age=10, s-maxage=20"}, 20 * time.Second},
		// §4.2.1: then max-age.
		{"max-age beats Expires", Options{}, 200, []string{"Cache-Control: max-age=10", "Expires: " + httpDate(at(100))}, 10 * time.Second},
		// §4.2.1: then Expires minus Date.
		{"Expires minus Date", Options{}, 200, []string{"Expires: " + httpDate(at(30))}, 30 * time.Second},
		// §5.3: a cache MUST treat an invalid Expires, e.g. "0", as in the past.
		{"invalid Expires is stale", Options{}, 200, []string{"Expires: 0"}, 0},
		{"Expires before Date is stale", Options{}, 200, []string{"Expires: " + httpDate(at(-30))}, 0},
		// §4.2.1 SHOULD-ish: invalid freshness information is stale, and is not overridden by Expires.
		{"invalid max-age is stale", Options{}, 200, []string{"Cache-Control: max-age=abc", "Expires: " + httpDate(at(30))}, 0},
		{"invalid s-maxage is stale", Options{}, 200, []string{"Cache-Control: s-maxage=x, max-age=60"}, 0},
		// §1.2.2 MUST: overflow is taken as 2^31 seconds.
		{"overflow clamps", Options{}, 200, []string{"Cache-Control: max-age=99999999999999"}, (1 << 31) * time.Second},
		// §4.2.2: heuristics only when no explicit expiration; here they are opt-in.
		{"no heuristic by default", Options{}, 200, []string{"Last-Modified: " + httpDate(at(-1000))}, 0},
		{"heuristic is 10% of the Last-Modified age", Options{Heuristic: true}, 200, []string{"Last-Modified: " + httpDate(at(-1000))}, 100 * time.Second},
		{"heuristic is capped", Options{Heuristic: true}, 200, []string{"Last-Modified: " + httpDate(at(-1000*86400))}, day},
		// §4.2.2 MUST NOT: no heuristic for a status not heuristically cacheable, unless public.
		{"no heuristic for 302", Options{Heuristic: true}, 302, []string{"Last-Modified: " + httpDate(at(-1000))}, 0},
		{"public allows a heuristic for 302", Options{Heuristic: true}, 302, []string{"Cache-Control: public", "Last-Modified: " + httpDate(at(-1000))}, 100 * time.Second},
		{"explicit max-age wins over the heuristic", Options{Heuristic: true}, 200, []string{"Cache-Control: max-age=5", "Last-Modified: " + httpDate(at(-1000))}, 5 * time.Second},
		{"default TTL applies without explicit freshness", Options{DefaultTTL: time.Minute}, 404, nil, time.Minute},
		{"default TTL never overrides max-age", Options{DefaultTTL: time.Minute}, 200, []string{"Cache-Control: max-age=0"}, 0},
		{"default TTL not for a non-heuristic status", Options{DefaultTTL: time.Minute}, 500, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := storedWith(tt.opts, tt.status, tt.lines...)
			if got := e.Lifetime(); got != tt.want {
				t.Errorf("lifetime %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRFC9111_4_2_1_DateMissingUsesResponseTime(t *testing.T) {
	res := newRes(200, "Expires: "+httpDate(at(50)))
	e := NewEntry("k", newReq("GET"), res, nil, at(0), at(10), Options{})
	if got := e.Lifetime(); got != 40*time.Second {
		t.Errorf("lifetime %v, want 40s (Expires minus the response time)", got)
	}
	// RFC 9110 §6.6.1 MUST add a Date to a cached response that lacks one.
	if got := e.Header.Get("Date"); got != httpDate(at(10)) {
		t.Errorf("stored Date %q, want the response time", got)
	}
}

func TestRFC9111_4_2_3_CalculatingAge(t *testing.T) {
	tests := []struct {
		name             string
		date             time.Time
		age              string
		reqTime, resTime time.Time
		now              time.Time
		want             time.Duration
	}{
		{"resident time alone", at(0), "", at(0), at(0), at(7), 7 * time.Second},
		// apparent_age = max(0, response_time - date_value)
		{"apparent age from an old Date", at(-20), "", at(0), at(0), at(0), 20 * time.Second},
		{"a Date in the future gives no negative age", at(100), "", at(0), at(0), at(0), 0},
		// corrected_age_value = age_value + response_delay
		{"Age plus response delay", at(3), "10", at(0), at(3), at(3), 13 * time.Second},
		// corrected_initial_age = max(apparent_age, corrected_age_value)
		{"the larger of apparent and corrected age", at(-60), "10", at(0), at(0), at(0), 60 * time.Second},
		{"a non-numeric Age is ignored", at(0), "abc", at(0), at(0), at(0), 0},
		{"a negative Age is ignored", at(0), "-5", at(0), at(0), at(0), 0},
		{"the first of several Age values is used", at(0), "5, 50", at(0), at(0), at(0), 5 * time.Second},
		{"an overflowing Age clamps to 2^31 (§1.2.2)", at(0), "999999999999999", at(0), at(0), at(0), (1 << 31) * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newRes(200, "Date: "+httpDate(tt.date))
			if tt.age != "" {
				res.Header.Set("Age", tt.age)
			}
			e := NewEntry("k", newReq("GET"), res, nil, tt.reqTime, tt.resTime, Options{})
			if got := e.Age(tt.now); got != tt.want {
				t.Errorf("age %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRFC9111_5_1_AgeHeaderSent(t *testing.T) {
	// §5.1 MUST: a cache sends Age on a response from storage; whole seconds.
	e := stored("Cache-Control: max-age=60", "Age: 3")
	h := ResponseHeader(e, at(4).Add(900*time.Millisecond))
	if got := h.Get("Age"); got != "7" {
		t.Errorf("Age %q, want 7", got)
	}
	if e.Header.Get("Age") != "3" {
		t.Error("ResponseHeader modified the stored entry")
	}
}
