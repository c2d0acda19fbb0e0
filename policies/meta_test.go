package policies

import (
	"strings"
	"testing"
	"time"
)

func TestFromMetaKeepsGoodValuesAndReportsBadOnes(t *testing.T) {
	o, problems := FromMeta(map[string]string{
		"bulwark-timeout":         "2s",
		"bulwark-try-timeout":     "2h",
		"bulwark-connect-timeout": "-1s",
		"bulwark-balancer":        "fastest",
		"bulwark-hash-on":         "header:X-Tenant",
		"bulwark-route":           "/not-a-policy-key",
	})
	if o.Timeout == nil || *o.Timeout != 2*time.Second {
		t.Errorf("timeout = %v, want 2s", o.Timeout)
	}
	if o.TryTimeout != nil || o.ConnectTimeout != nil || o.Balancer != nil {
		t.Errorf("bad values applied: %+v", o)
	}
	if o.HashOn == nil || *o.HashOn != "header:X-Tenant" {
		t.Errorf("hash-on = %v", o.HashOn)
	}
	want := []string{
		`bulwark-try-timeout="2h": longer than the 1h`,
		`bulwark-connect-timeout="-1s": must be positive`,
		`bulwark-balancer="fastest": want round_robin, least_request or consistent_hash`,
	}
	if len(problems) != len(want) {
		t.Fatalf("problems = %q", problems)
	}
	for _, w := range want {
		found := false
		for _, p := range problems {
			found = found || strings.Contains(p, w)
		}
		if !found {
			t.Errorf("no problem contains %q in %q", w, problems)
		}
	}
}

func TestIsMetaKey(t *testing.T) {
	for key, want := range map[string]bool{
		"bulwark-timeout": true, "bulwark-hash-on": true, "bulwark-route": false,
		"timeout": false, "bulwark-": false,
	} {
		if got := IsMetaKey(key); got != want {
			t.Errorf("IsMetaKey(%q) = %v, want %v", key, got, want)
		}
	}
	if !(Overrides{}).Empty() {
		t.Error("zero Overrides not Empty")
	}
}

func TestFromMetaReadsResilienceKeys(t *testing.T) {
	o, problems := FromMeta(map[string]string{
		"bulwark-breaker-failures":    "3",
		"bulwark-retries-budget":      "50%",
		"bulwark-outlier-eject-for":   "5s",
		"bulwark-bulkhead-max-queue":  "many",
		"bulwark-outlier-max-ejected": "150%",
	})
	if o.Breaker.Failures == nil || *o.Breaker.Failures != 3 || o.Retries.Budget == nil || *o.Retries.Budget != 0.5 ||
		o.Outlier.EjectFor == nil || *o.Outlier.EjectFor != 5*time.Second {
		t.Errorf("overrides = %+v", o)
	}
	if o.Bulkhead.MaxQueue != nil || o.Outlier.MaxEjected != nil || len(problems) != 2 {
		t.Errorf("bad values applied or not reported: %+v %q", o, problems)
	}
	if !IsMetaKey("bulwark-retries-attempts") {
		t.Error("bulwark-retries-attempts is not a policy key")
	}
}

// The keys declared without a field are labels like any other: read by the
// declaration's kind (a size with its unit, a boolean), held to the range
// and to the most a label may set, which a key may raise (a cache budget).
func TestFromMetaReadsKeysDeclaredWithoutAField(t *testing.T) {
	o, problems := FromMeta(map[string]string{
		"bulwark-cache-enabled":         "true",
		"bulwark-cache-max-bytes":       "256MiB",
		"bulwark-cache-max-entry-bytes": "128MiB",
		"bulwark-cache-heuristic":       "sometimes",
	})
	p, why, err := Resolve(Layer{Name: "labels", Set: o})
	if err != nil {
		t.Fatal(err)
	}
	enabled, budget := ValueOf[bool]("cache.enabled"), ValueOf[int64]("cache.max_bytes")
	if !enabled.Of(&p) || budget.Of(&p) != 256<<20 || why["cache.max_bytes"] != "labels" {
		t.Errorf("cache.enabled %v, max_bytes %d (from %s); want true and 256MiB from labels",
			enabled.Of(&p), budget.Of(&p), why["cache.max_bytes"])
	}
	want := []string{
		`meta bulwark-cache-max-entry-bytes="128MiB": more than 64MiB, the most a label may set; ignored`,
		`meta bulwark-cache-heuristic="sometimes": want true or false; ignored`,
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	if d := Defaults(); enabled.Of(&d) || budget.Of(&d) != 64<<20 {
		t.Errorf("the labels changed the built-in values: %v %d", enabled.Of(&d), budget.Of(&d))
	}
}
