package policies

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// People read the admin API: every duration of a policy must be a Go
// duration string there, and nothing else about the JSON may change.
func TestPolicyDurationsAreWrittenAsDurationStrings(t *testing.T) {
	p := Defaults()
	p.TryTimeout = 1500 * time.Millisecond
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"timeout": "15s", "try_timeout": "1.5s", "connect_timeout": "2s", "stream_idle_timeout": "5m0s",
		"balancer": map[string]any{"kind": "round_robin"},
		"breaker":  map[string]any{"failures": 5.0, "open_for": "10s", "half_open_requests": 3.0},
		"bulkhead": map[string]any{"max_concurrent": 1024.0, "max_queue": 64.0, "queue_timeout": "100ms"},
		"retries":  map[string]any{"attempts": 2.0, "budget": 0.2, "min_concurrent": 3.0, "backoff": "25ms", "max_body_bytes": 65536.0},
		"outlier":  map[string]any{"consecutive_failures": 5.0, "eject_for": "30s", "max_ejected": 0.5},
		"cache": map[string]any{"enabled": false, "max_bytes": 67108864.0, "max_entry_bytes": 1048576.0,
			"serve_stale_on_error": "0s", "default_ttl": "0s", "heuristic": false, "lock_timeout": "5s", "cdn_cache_control": true},
		"ip":         map[string]any{"allow": []any{}, "deny": []any{}},
		"rate_limit": map[string]any{"rate": "", "burst": 0.0, "key": "client_ip", "shared": false},
		"validate":   map[string]any{"requests": "off", "responses": "off", "sample": 0.01, "max_body_bytes": 1048576.0},
		"cors": map[string]any{"origins": []any{}, "methods": []any{"GET", "HEAD", "POST"},
			"headers": []any{"Authorization", "Content-Type"}, "expose_headers": []any{}, "credentials": false, "max_age": "10m0s"},
	}
	// auth's many keys are checked where they are read (admission tests);
	// here only that its durations are strings too.
	if a, _ := got["auth"].(map[string]any); a["forward"].(map[string]any)["timeout"] != "5s" || a["jwt"].(map[string]any)["clock_skew"] != "30s" {
		t.Errorf("auth durations: %v", got["auth"])
	}
	delete(got, "auth")
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("policy JSON\n got %s\nwant %s", gotJSON, wantJSON)
	}
	if strings.Contains(string(b), "000000") {
		t.Errorf("a duration is still written in nanoseconds: %s", b)
	}
}

func TestPolicyJSONRoundTrips(t *testing.T) {
	p := Defaults()
	p.Balancer = Balancer{Kind: ConsistentHash, HashOn: "header:X"}
	p.Outlier.EjectFor = 42 * time.Second
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Policy
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(&p) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, p)
	}
	// A client written against the old form (nanoseconds) still decodes.
	var old Policy
	if err := json.Unmarshal([]byte(`{"timeout":15000000000,"breaker":{"open_for":10000000000}}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Timeout != 15*time.Second || old.Breaker.OpenFor != 10*time.Second {
		t.Errorf("nanoseconds decoded as %v and %v", old.Timeout, old.Breaker.OpenFor)
	}
}
