package test

// A shared rate limit held by three gateways in one real Redis: the total
// they admit is the limit (within 5%), not three times it; when Redis dies
// mid-test every gateway keeps answering, with no 5xx, each counting alone
// and never past the limit on its own, and says so in its metrics; when
// Redis comes back the count is shared again. Every 429 says when to retry
// and every counted answer carries the RateLimit fields.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/redistest"
)

// rlLimit is the limit: per hour, so refill during the test is < 1 request.
const rlLimit = 200

// rlTally is what one gateway answered.
type rlTally struct{ ok, limited, other int }

// rlSend sends perGW requests to each gateway at once (4 clients per
// gateway), checks the headers of every answer, and returns each gateway's
// tally. A transport error or a 5xx fails the test.
func rlSend(t *testing.T, c *http.Client, gws []*proc, perGW int) []rlTally {
	t.Helper()
	tallies := make([]rlTally, len(gws))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, gw := range gws {
		jobs := make(chan int, perGW)
		for j := range perGW {
			jobs <- j
		}
		close(jobs)
		for range 4 {
			wg.Go(func() {
				for j := range jobs {
					res, err := tryDo(c, "GET", gw.url(fmt.Sprintf("/limited/%d", j)), nil)
					mu.Lock()
					switch {
					case err != nil:
						t.Errorf("gateway %d: %v", i, err)
					case res.Status == 200:
						tallies[i].ok++
					case res.Status == 429:
						tallies[i].limited++
					default:
						tallies[i].other++
						t.Errorf("gateway %d: %d %s; want 200 or 429 only", i, res.Status, res.Body)
					}
					if err == nil {
						checkRateLimitHeaders(t, res)
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return tallies
}

// checkRateLimitHeaders: every counted answer has RateLimit-Policy and
// RateLimit; a 429 also a Retry-After of whole seconds > 0 and r=0.
func checkRateLimitHeaders(t *testing.T, res response) {
	t.Helper()
	pol, rl := res.Header.Get("RateLimit-Policy"), res.Header.Get("RateLimit")
	if !strings.Contains(pol, "q=") || !strings.Contains(rl, "r=") {
		t.Errorf("%d without RateLimit-Policy/RateLimit fields: %q / %q", res.Status, pol, rl)
	}
	if res.Status != 429 {
		return
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s <= 0 {
		t.Errorf("429 with Retry-After %q, want whole seconds > 0", res.Header.Get("Retry-After"))
	}
	if !strings.Contains(rl, "r=0") {
		t.Errorf("429 with RateLimit %q, want r=0", rl)
	}
}

// rlDecisions is a gateway's bulwark_ratelimit_decisions_total by decision,
// and its Redis failure count.
func rlDecisions(t *testing.T, c *http.Client, gw *proc) map[string]float64 {
	t.Helper()
	exp := metrics(t, c, gw)
	m := map[string]float64{}
	for _, d := range []string{"allowed", "limited", "allowed_fallback", "limited_fallback"} {
		m[d], _ = labelledMetric(exp, "bulwark_ratelimit_decisions_total", "decision", d)
	}
	v, _ := metricValue(exp, "bulwark_ratelimit_redis_failures_total")
	m["failures"], _ = strconv.ParseFloat(v, 64)
	return m
}

func sumOK(ts []rlTally) (ok, limited int) {
	for _, x := range ts {
		ok += x.ok
		limited += x.limited
	}
	return ok, limited
}

func TestAdmissionSharedRateLimitAcrossThreeGateways(t *testing.T) {
	rds := redistest.New(t)
	up := newRecorder(t, nil)
	// A 1 s Redis timeout: a busy CI machine must not turn slow answers into
	// local counting (the documented fallback) during the shared phase.
	cfg := admissionConfig(false, fmt.Sprintf(`discovery:
  static:
    - service: orders
      instances: [%q]
routes:
  - path: /limited
    service: orders
services:
  orders:
    rate_limit: {rate: %d/h, key: route, shared: true}
redis:
  address: %q
  timeout: 1s
`, up.Addr(), rlLimit, rds.Addr()))
	gws := []*proc{startServe(t, cfg), startServe(t, cfg), startServe(t, cfg)}
	c := newClient(t)

	// 1. Shared: 3 × 110 requests at once against a limit of 200.
	tallies := rlSend(t, c, gws, 110)
	ok, limited := sumOK(tallies)
	t.Logf("shared phase: %+v", tallies)
	for i, gw := range gws {
		if d := rlDecisions(t, c, gw); d["failures"] != 0 || d["allowed_fallback"]+d["limited_fallback"] != 0 {
			t.Fatalf("gateway %d fell back to local counting while Redis was up: %v", i, d)
		}
	}
	if ok < rlLimit*95/100 || ok > rlLimit*105/100 {
		t.Errorf("the three gateways admitted %d of 330 (429: %d), want %d ± 5%%", ok, limited, rlLimit)
	}
	if int64(ok) != up.count.Load() {
		t.Errorf("clients got %d answers 200 but the upstream saw %d", ok, up.count.Load())
	}

	// 2. Redis dies: answers go on, no 5xx, each gateway alone admits at
	// most the limit, and the fallback shows in the metrics.
	before := make([]map[string]float64, len(gws))
	for i, gw := range gws {
		before[i] = rlDecisions(t, c, gw)
	}
	rds.Stop()
	tallies = rlSend(t, c, gws, rlLimit+30)
	t.Logf("Redis down: %+v", tallies)
	for i, gw := range gws {
		if tallies[i].ok > rlLimit {
			t.Errorf("gateway %d admitted %d alone while Redis was down, more than the limit %d", i, tallies[i].ok, rlLimit)
		}
		if tallies[i].ok+tallies[i].limited != rlLimit+30 {
			t.Errorf("gateway %d: %d answers of %d were 200 or 429", i, tallies[i].ok+tallies[i].limited, rlLimit+30)
		}
		after := rlDecisions(t, c, gw)
		if after["failures"] <= before[i]["failures"] {
			t.Errorf("gateway %d: bulwark_ratelimit_redis_failures_total did not rise (%v → %v)", i, before[i]["failures"], after["failures"])
		}
		fb := after["allowed_fallback"] - before[i]["allowed_fallback"] + after["limited_fallback"] - before[i]["limited_fallback"]
		if fb < float64(rlLimit) {
			t.Errorf("gateway %d: %v fallback decisions for %d requests decided while Redis was down", i, fb, rlLimit+30)
		}
		if got := after["allowed_fallback"] - before[i]["allowed_fallback"]; got != float64(tallies[i].ok) {
			t.Errorf("gateway %d: allowed_fallback rose by %v, clients got %d answers 200", i, got, tallies[i].ok)
		}
	}
	if ok, _ := sumOK(tallies); ok == 0 {
		t.Errorf("with Redis down no gateway admitted anything: a Redis failure must never refuse everyone")
	}

	// 3. Redis is back (empty): every gateway returns to it within a
	// bounded time, and the three again hold one limit between them.
	rds.Start(t)
	for i, gw := range gws {
		var d0, d1 map[string]float64
		if !eventually(20*time.Second, func() bool {
			d0 = rlDecisions(t, c, gw)
			if _, err := tryDo(c, "GET", gw.url("/limited/probe"), nil); err != nil {
				return false
			}
			d1 = rlDecisions(t, c, gw)
			return d1["allowed"]+d1["limited"] > d0["allowed"]+d0["limited"]
		}) {
			t.Fatalf("gateway %d never counted in Redis again after it came back: %v → %v", i, d0, d1)
		}
	}
	base := make([]map[string]float64, len(gws))
	for i, gw := range gws {
		base[i] = rlDecisions(t, c, gw)
	}
	tallies = rlSend(t, c, gws, 110)
	t.Logf("Redis back: %+v", tallies)
	var shared, fallback float64
	for i, gw := range gws {
		d := rlDecisions(t, c, gw)
		shared += d["allowed"] - base[i]["allowed"]
		fallback += d["allowed_fallback"] - base[i]["allowed_fallback"] + d["limited_fallback"] - base[i]["limited_fallback"]
	}
	// The probes (one to three admitted through Redis) came out of the same
	// fresh bucket of 200.
	if fallback != 0 {
		t.Errorf("%v decisions were still local after every gateway returned to Redis", fallback)
	}
	if shared < rlLimit*95/100-3 || shared > rlLimit*105/100 {
		t.Errorf("after Redis came back the gateways admitted %v through it from 330 requests, want %d ± 5%% (less the probes)", shared, rlLimit)
	}
	for _, gw := range gws {
		gw.checkNoRace()
	}
}
