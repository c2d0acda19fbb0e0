package gateway

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// credential.remove cuts an API key out of the raw query by hand, to keep
// every other parameter byte for byte. It must agree with net/url, which
// the API key was read with: after it, net/url finds no such parameter, and
// every other parameter net/url finds is as before.
func FuzzCredentialRemoveAgreesWithNetURL(f *testing.F) {
	for _, seed := range [][2]string{
		{"api_key=k", "api_key"}, {"a=1&api_key=k&b=%2F", "api_key"}, {"api%5Fkey=k&x", "api_key"},
		{"api_key=1&api_key=2", "api_key"}, {"key+x=1&key%20x=2", "key x"}, {"&&api_key&=", "api_key"},
		{"a=%zz&api_key=k", "api_key"}, {"a;b=1&api_key=k", "api_key"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, rawQuery, name string) {
		if name == "" {
			return
		}
		before, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // the key could not have been read from it either
		}
		r := &http.Request{URL: &url.URL{RawQuery: rawQuery}}
		credential{query: name}.remove(r)
		after, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			t.Fatalf("%q without %q became %q, which net/url refuses: %v", rawQuery, name, r.URL.RawQuery, err)
		}
		if _, ok := after[name]; ok {
			t.Fatalf("%q without %q is %q: net/url still finds it", rawQuery, name, r.URL.RawQuery)
		}
		delete(before, name)
		for k, v := range before {
			if !slices.Equal(after[k], v) {
				t.Fatalf("%q without %q changed %q: %q -> %q", rawQuery, name, k, v, after[k])
			}
		}
		if len(after) != len(before) {
			t.Fatalf("%q without %q: parameters %v, want %v", rawQuery, name, after, before)
		}
		for _, part := range strings.Split(r.URL.RawQuery, "&") {
			if part != "" && !strings.Contains("&"+rawQuery+"&", "&"+part+"&") {
				t.Fatalf("%q without %q holds %q, which the client did not send", rawQuery, name, part)
			}
		}
	})
}
