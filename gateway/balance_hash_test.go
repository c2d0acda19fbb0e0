package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
	"pgregory.net/rapid"

	"github.com/bulwark-gw/bulwark/policies"
)

// balanceHashKeys is the key set the ring properties are checked on.
var balanceHashKeys = func() []string {
	keys := make([]string, 2000)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%d", i)
	}
	return keys
}()

// balanceDrawUpstreams draws 2 to 10 instances with distinct addresses and
// weights 1 to 4, sorted by address as a Pool holds them.
func balanceDrawUpstreams(t *rapid.T) []*Upstream {
	addrs := rapid.SliceOfNDistinct(rapid.StringMatching(`[a-z0-9.-]{1,12}:[0-9]{2,5}`), 2, 10, rapid.ID).Draw(t, "addrs")
	slices.Sort(addrs)
	ups := make([]*Upstream, len(addrs))
	for i, a := range addrs {
		ups[i] = &Upstream{Service: "svc", Addr: a, Weight: rapid.IntRange(1, 4).Draw(t, "weight")}
	}
	return ups
}

// balanceOwners maps every key of balanceHashKeys to the address that owns it.
func balanceOwners(ch *consistentHash) []string {
	owners := make([]string, len(balanceHashKeys))
	for i, k := range balanceHashKeys {
		owners[i] = ch.pickKey(k).Addr
	}
	return owners
}

func balanceHeaderRing(ups []*Upstream) *consistentHash {
	return newConsistentHash(policies.HashKey{From: "header", Name: "X-User"}, ups)
}

func TestConsistentHashSameKeySameInstance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ch := balanceHeaderRing(balanceDrawUpstreams(t))
		key := rapid.String().Draw(t, "key")
		first := ch.pickKey(key)
		for range 3 {
			if got := ch.pickKey(key); got != first {
				t.Fatalf("key %q went to %s, then to %s", key, first.Addr, got.Addr)
			}
		}
	})
}

// Removing (or adding) instance k of N moves exactly the keys that were (or
// become) owned by k, about 1/N of them, and no key between two instances that
// stayed. Adding is removing read backwards, so one property checks both.
func TestConsistentHashChangeOfOneInstance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		all := balanceDrawUpstreams(t)
		k := rapid.IntRange(0, len(all)-1).Draw(t, "changed")
		changed := all[k].Addr
		without := slices.Delete(slices.Clone(all), k, k+1)

		with, less := balanceOwners(balanceHeaderRing(all)), balanceOwners(balanceHeaderRing(without))
		moved := 0
		for i := range balanceHashKeys {
			if with[i] == less[i] {
				continue
			}
			moved++
			if with[i] != changed {
				t.Fatalf("removing %s moved key %q from %s to %s", changed, balanceHashKeys[i], with[i], less[i])
			}
		}
		// The changed instance's due share, with generous room for the ring's
		// spread (about 8% at 160 points per weight) and for sampling 2000 keys.
		total := 0
		for _, u := range all {
			total += u.Weight
		}
		due := float64(all[k].Weight) / float64(total)
		if frac := float64(moved) / float64(len(balanceHashKeys)); frac > 2*due+0.01 {
			t.Fatalf("adding or removing %s moved %.1f%% of keys, want about %.1f%%", changed, 100*frac, 100*due)
		}
	})
}

func TestConsistentHashDistribution(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
	}{
		{"consistent hash spreads 10k keys evenly over 5 instances", []int{1, 1, 1, 1, 1}},
		{"consistent hash spreads keys in proportion to weight", []int{1, 2, 3, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ups := balanceTestUpstreams(tt.weights...)
			ch := balanceHeaderRing(ups)
			const keys = 10000
			got := make([]int, len(ups))
			for i := range keys {
				got[slices.Index(ups, ch.pickKey(fmt.Sprintf("session-%d", i)))]++
			}
			total := 0
			for _, w := range tt.weights {
				total += w
			}
			for i, w := range tt.weights {
				want := float64(keys) * float64(w) / float64(total)
				if float64(got[i]) < 0.7*want || float64(got[i]) > 1.3*want {
					t.Errorf("instance %d (weight %d) got %d of %d keys, want about %.0f", i, w, got[i], keys, want)
				}
			}
		})
	}
}

func TestConsistentHashKeySources(t *testing.T) {
	tests := []struct {
		name   string
		hashOn string
		key    string
		req    func(path string) *http.Request
		path   string
	}{
		{"consistent hash keys on a header", "header:X-User", "alice", func(p string) *http.Request {
			r := httptest.NewRequest("GET", p, nil)
			r.Header.Set("X-User", "alice")
			return r
		}, "/anything"},
		{"consistent hash keys on a cookie", "cookie:session", "s3cr3t", func(p string) *http.Request {
			r := httptest.NewRequest("GET", p, nil)
			r.AddCookie(&http.Cookie{Name: "other", Value: "x"})
			r.AddCookie(&http.Cookie{Name: "session", Value: "s3cr3t"})
			return r
		}, "/anything"},
		{"consistent hash keys on a path segment", "path:2", "tenant-42", func(p string) *http.Request {
			return httptest.NewRequest("GET", p, nil)
		}, "/tenants/tenant-42/orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := policies.ParseHashKey(tt.hashOn)
			if err != nil {
				t.Fatal(err)
			}
			ch := newConsistentHash(key, balanceTestUpstreams(1, 2, 1, 1, 3))
			want := ch.pickKey(tt.key)
			for range 10 {
				if got := ch.Pick(tt.req(tt.path)); got != want {
					t.Fatalf("Pick = %s, want %s, the owner of key %q", got.Addr, want.Addr, tt.key)
				}
			}
		})
	}
}

func TestConsistentHashMissingKeyFallsBack(t *testing.T) {
	tests := []struct {
		name   string
		hashOn string
		req    *http.Request
	}{
		{"a request without the header is balanced round robin", "header:X-User", httptest.NewRequest("GET", "/a/b", nil)},
		{"a request without the cookie is balanced round robin", "cookie:session", httptest.NewRequest("GET", "/a/b", nil)},
		{"a request without the path segment is balanced round robin", "path:3", httptest.NewRequest("GET", "/a/b", nil)},
		{"a request with an empty path segment is balanced round robin", "path:1", httptest.NewRequest("GET", "//b", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := policies.ParseHashKey(tt.hashOn)
			if err != nil {
				t.Fatal(err)
			}
			ups := balanceTestUpstreams(1, 1, 1)
			ch := newConsistentHash(key, ups)
			// Three requests of one cycle reach three different instances,
			// where one hashed key would reach the same one three times.
			var got []string
			for range len(ups) {
				got = append(got, ch.Pick(tt.req).Addr)
			}
			want := []string{ups[0].Addr, ups[1].Addr, ups[2].Addr}
			if !slices.Equal(got, want) {
				t.Errorf("picks = %v, want one cycle %v", got, want)
			}
		})
	}
}

// The binary search and the wrap past the last point agree with the definition:
// a key belongs to the first point clockwise from its hash.
func TestConsistentHashMatchesALinearScanOfTheRing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ch := balanceHeaderRing(balanceDrawUpstreams(t))
		key := rapid.String().Draw(t, "key")
		h := xxhash.Sum64String(key)
		want := -1
		for i, p := range ch.hashes {
			if p >= h && (want < 0 || p < ch.hashes[want]) {
				want = i
			}
		}
		if want < 0 { // past the last point: wrap to the smallest
			want = 0
		}
		if got := ch.pickKey(key); got != ch.owners[want] {
			t.Fatalf("key %q (hash %x) went to %s, want %s", key, h, got.Addr, ch.owners[want].Addr)
		}
	})
}

// Gateways of a fleet build their rings independently; they must agree on
// every key whatever the order they listed the instances in.
func TestConsistentHashDeterministicAcrossBuilds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := balanceDrawUpstreams(t)
		b := make([]*Upstream, len(a))
		for i, u := range a {
			b[len(a)-1-i] = &Upstream{Service: u.Service, Addr: u.Addr, Weight: u.Weight}
		}
		if !slices.Equal(balanceOwners(balanceHeaderRing(a)), balanceOwners(balanceHeaderRing(b))) {
			t.Fatal("two rings built from the same instances disagree")
		}
	})
}

// The ring is part of the fleet's contract: gateways of two releases running side
// by side must agree. These owners were computed once; if they change, the hash
// function or the "addr#i" point names changed, and every sticky key will move.
func TestConsistentHashRingIsStableAcrossReleases(t *testing.T) {
	ch := balanceHeaderRing(balanceTestUpstreams(1, 1, 2, 1))
	golden := map[string]string{
		"alice":   "backend-00:8080",
		"bob":     "backend-02:8080",
		"dave":    "backend-01:8080",
		"erin":    "backend-03:8080",
		"user-17": "backend-02:8080",
	}
	var diffs []string
	for key, want := range golden {
		if got := ch.pickKey(key).Addr; got != want {
			diffs = append(diffs, fmt.Sprintf("%q: got %s, want %s", key, got, want))
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Errorf("ring owners changed:\n%s", strings.Join(diffs, "\n"))
	}
}

func BenchmarkConsistentHash(b *testing.B) {
	ch := balanceHeaderRing(balanceTestUpstreams(5, 1, 3, 2, 1, 1, 4, 2))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-User", "alice")
		for pb.Next() {
			ch.Pick(r)
		}
	})
}
