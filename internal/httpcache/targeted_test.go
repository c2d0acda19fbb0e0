package httpcache

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dunglas/httpsfv"
)

func TestRFC9213_TargetedCacheControl(t *testing.T) {
	future := "Expires: " + httpDate(at(10000))
	tests := []struct {
		name     string
		opts     Options
		lines    []string
		storable bool
		lifetime time.Duration
		action   Action // at 10s, for a plain GET
	}{
		// §2.1 MUST: the targeted field's directives apply, and Cache-Control and Expires are ignored.
		{"CDN-Cache-Control gives freshness alone", Options{}, []string{"CDN-Cache-Control: max-age=3600"}, true, time.Hour, ServeFresh},
		{"a long CDN max-age beats a short Cache-Control one", Options{}, []string{"Cache-Control: max-age=1", "CDN-Cache-Control: max-age=3600"}, true, time.Hour, ServeFresh},
		{"a short CDN max-age beats a long Cache-Control one", Options{}, []string{"Cache-Control: max-age=3600", "CDN-Cache-Control: max-age=1"}, true, time.Second, Revalidate},
		{"CDN max-age=0 beats a future Expires", Options{}, []string{"CDN-Cache-Control: max-age=0", future, `Etag: "a"`}, true, 0, Revalidate},
		{"a fresh CDN max-age beats Cache-Control no-store", Options{}, []string{"Cache-Control: no-store", "CDN-Cache-Control: max-age=10000"}, true, 10000 * time.Second, ServeFresh},
		// §2.1 MUST implement no-store, private, no-cache and must-revalidate.
		{"CDN no-store beats Cache-Control max-age", Options{}, []string{"Cache-Control: max-age=10000", "CDN-Cache-Control: no-store", future}, false, 0, Miss},
		{"CDN private beats Cache-Control max-age", Options{}, []string{"Cache-Control: max-age=10000", "CDN-Cache-Control: private", future}, false, 0, Miss},
		{"CDN no-cache revalidates a fresh response", Options{}, []string{"Cache-Control: max-age=10000", "CDN-Cache-Control: no-cache, max-age=10000"}, true, 10000 * time.Second, Revalidate},
		{"a Boolean false flag does not count", Options{}, []string{"CDN-Cache-Control: no-store=?0, max-age=60"}, true, time.Minute, ServeFresh},
		{"a flag with a String value is the unqualified flag", Options{}, []string{`CDN-Cache-Control: private="X-User", max-age=60`}, false, 0, Miss},
		// Values: Integers only, clamped at 2^31 (RFC 9111 §1.2.2).
		{"an Integer beyond 2^31 is clamped", Options{}, []string{"CDN-Cache-Control: max-age=99999999999"}, true, maxDelta * time.Second, ServeFresh},
		{"a String max-age is invalid: stale", Options{}, []string{`CDN-Cache-Control: max-age="10000"`, "Cache-Control: max-age=60", `Etag: "a"`}, true, 0, Revalidate},
		{"a negative max-age is invalid: stale", Options{}, []string{"CDN-Cache-Control: max-age=-5", `Etag: "a"`}, true, 0, Revalidate},
		{"unknown members and parameters are ignored", Options{}, []string{"CDN-Cache-Control: foobar, max-age=60;x=1"}, true, time.Minute, ServeFresh},
		// §2.1: a field that does not parse as a Dictionary is ignored; Cache-Control applies.
		{"space before '=': ignored", Options{}, []string{"Cache-Control: max-age=5", "CDN-Cache-Control: max-age =100"}, true, 5 * time.Second, Revalidate},
		{"space after '=': ignored", Options{}, []string{"Cache-Control: max-age=5", "CDN-Cache-Control: max-age= 100"}, true, 5 * time.Second, Revalidate},
		{"an invalid member: ignored", Options{}, []string{"Cache-Control: no-store", "CDN-Cache-Control: max-age=10000, &&&&&"}, false, 0, Miss},
		{"upper case keys are not Structured Fields: ignored", Options{}, []string{"Cache-Control: max-age=5", "CDN-Cache-Control: MaX-aGe=3600"}, true, 5 * time.Second, Revalidate},
		{"an empty field: ignored", Options{}, []string{"Cache-Control: max-age=60", "CDN-Cache-Control: "}, true, time.Minute, ServeFresh},
		// The target list: Bulwark-Cache-Control first, then CDN-Cache-Control unless left to a CDN.
		{"Bulwark-Cache-Control comes first", Options{}, []string{"Bulwark-Cache-Control: max-age=30", "CDN-Cache-Control: no-store"}, true, 30 * time.Second, ServeFresh},
		{"an invalid Bulwark-Cache-Control falls to CDN-Cache-Control", Options{}, []string{"Bulwark-Cache-Control: ,", "CDN-Cache-Control: max-age=30"}, true, 30 * time.Second, ServeFresh},
		{"NoCDNCacheControl ignores CDN-Cache-Control", Options{NoCDNCacheControl: true}, []string{"Cache-Control: max-age=5", "CDN-Cache-Control: max-age=3600"}, true, 5 * time.Second, Revalidate},
		{"NoCDNCacheControl keeps Bulwark-Cache-Control", Options{NoCDNCacheControl: true}, []string{"Cache-Control: no-store", "Bulwark-Cache-Control: max-age=3600"}, true, time.Hour, ServeFresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newRes(200, tt.lines...)
			res.Header.Set("Date", httpDate(t0))
			ok, why := Storable(newReq("GET"), res, tt.opts)
			if ok != tt.storable {
				t.Fatalf("Storable = %v (%s), want %v", ok, why, tt.storable)
			}
			if !ok {
				return
			}
			e := NewEntry(Key("GET", "http", "example.com", "/a", ""), newReq("GET"), res, nil, t0, t0, tt.opts)
			if got := e.Lifetime(); got != tt.lifetime {
				t.Errorf("lifetime %v, want %v", got, tt.lifetime)
			}
			if got := Decide(newReq("GET"), e, at(10)).Action; got != tt.action {
				t.Errorf("at 10s: %v, want %v", got, tt.action)
			}
		})
	}
}

// TestRFC9213_TargetedFieldsAreStoredAndForwarded: the fields stay in the
// stored header, so a hit carries them to a CDN in front, as a miss does.
func TestRFC9213_TargetedFieldsAreStoredAndForwarded(t *testing.T) {
	e := stored("CDN-Cache-Control: max-age=60", "Bulwark-Cache-Control: max-age=30")
	h := ResponseHeader(e, at(1))
	if h.Get("CDN-Cache-Control") != "max-age=60" || h.Get("Bulwark-Cache-Control") != "max-age=30" {
		t.Errorf("a hit's header %v lost a targeted field", h)
	}
}

// FuzzResponseDirectives checks the targeted reading against the
// Cache-Control parser, differentially: where a line means the same in both
// grammars (a valid Dictionary of lower-case keys, each once, with Integer,
// Token or no values), both must find the same directives. It also checks
// that a targeted reading happens exactly when httpsfv parses a non-empty
// Dictionary, and that no delta leaves its range.
func FuzzResponseDirectives(f *testing.F) {
	for _, s := range []string{
		"max-age=3600", "no-store", "private", "no-cache, max-age=10", "max-age= 1", "max-age =1", `max-age="1"`,
		"MaX-aGe=1", "max-age=99999999999", "max-age=-1", "max-age=1.5", "no-store=?0", "a;b=1, c=(1 2)", "&&&",
		"s-maxage=1, stale-while-revalidate=2, stale-if-error=3, must-revalidate, proxy-revalidate, public",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		d := ResponseDirectives(http.Header{"Cdn-Cache-Control": {line}}, Options{})
		dict, err := httpsfv.UnmarshalDictionary([]string{line})
		if want := err == nil && len(dict.Names()) > 0; d.Targeted != want {
			t.Fatalf("%q: targeted %v, want %v (httpsfv: %v)", line, d.Targeted, want, err)
		}
		for _, v := range []Delta{d.MaxAge, d.SMaxAge, d.StaleWhileRevalidate, d.StaleIfError} {
			if v.Secs < 0 || v.Secs > maxDelta || v.Valid && !v.Set {
				t.Fatalf("%q: delta out of range %+v", line, v)
			}
		}
		if !d.Targeted || strings.ContainsAny(line, `?;("`) || !uniqueKeys(line, dict) {
			return
		}
		cc := ParseCacheControl([]string{line})
		// What the cache acts on: whether a delta appeared and the lifetime it
		// gives (an invalid one gives 0; "-0" is an Integer 0 to a Dictionary
		// and invalid to Cache-Control: both mean stale at once).
		type delta struct {
			Set  bool
			Secs time.Duration
		}
		type view struct {
			NoStore, NoCache, Private, Public, MustRevalidate, ProxyRevalidate, Immutable bool
			MaxAge, SMaxAge, StaleWhileRevalidate, StaleIfError                           delta
		}
		eff := func(d Delta) delta { return delta{d.Set, validDelta(d)} }
		// A flag with a Token value is a field list to Cache-Control and the
		// unqualified flag here; both readings refuse to reuse unvalidated.
		see := func(d Directives) view {
			return view{d.NoStore, d.NoCache || len(d.NoCacheFields) > 0, d.Private || len(d.PrivateFields) > 0, d.Public,
				d.MustRevalidate, d.ProxyRevalidate, d.Immutable,
				eff(d.MaxAge), eff(d.SMaxAge), eff(d.StaleWhileRevalidate), eff(d.StaleIfError)}
		}
		if a, b := see(d), see(cc); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q:\ntargeted      %+v\nCache-Control %+v", line, a, b)
		}
	})
}

// uniqueKeys reports whether no key appears twice in line, a Dictionary
// with no quotes, parameters or inner lists, so that every comma separates
// two members: a Dictionary keeps a repeated key's last value,
// Cache-Control its first.
func uniqueKeys(line string, dict *httpsfv.Dictionary) bool {
	return len(strings.Split(line, ",")) == len(dict.Names())
}
