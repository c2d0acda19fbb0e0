package test

// auth.from_openapi through the binary, for every operation of a document
// (testdata/admission-openapi.json, written for this test: one operation per
// kind of requirement). The test reads the document itself and, for each
// path and method, sends no credential, the right one, every wrong one, and
// a token without the scopes asked; it checks what the client got and what
// the upstream received: an admitted request arrives with X-Consumer set and
// the credential gone, a refused one never arrives.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// oaDoc is the part of an OpenAPI document the test iterates.
type oaDoc struct {
	Security []map[string][]string                 `json:"security"`
	Paths    map[string]map[string]json.RawMessage `json:"paths"`
}

type oaOp struct {
	Security *[]map[string][]string `json:"security"`
}

// oaCred is one way of presenting a credential: the header pairs, the query
// it adds, the consumer it names, and the scheme of the document it is.
type oaCred struct {
	scheme   string
	header   []string
	query    string
	consumer string
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

func TestAdmissionFromOpenAPIEveryOperation(t *testing.T) {
	spec, err := os.ReadFile("testdata/admission-openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc oaDoc
	if err := json.Unmarshal(spec, &doc); err != nil {
		t.Fatal(err)
	}
	p := newIDP(t)
	up := newRecorder(t, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.UserAgent(), "bulwark-catalog/") && r.URL.Path == "/openapi.json" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(spec)
			return true
		}
		return false
	})
	const partnerKey, password = "pk-0123456789abcdef-partner", "correct horse battery staple"
	gw := startServe(t, admissionConfig(true, fmt.Sprintf(`discovery:
  static:
    - service: shop
      instances: [%q]
routes:
  - path: /shop
    service: shop
    strip_prefix: true
services:
  shop:
    docs: {openapi: /openapi.json}
    auth:
      from_openapi: true
      jwt: {jwks_url: %q, issuer: %q, audiences: [%q]}
      api_keys: {enabled: true}
      basic: {enabled: true}
consumers:
  partner:
    api_keys: [%q]
  reporter:
    password: %q
`, up.Addr(), p.JWKSURL(), idpIssuer, idpAudience, apiKeyHash(partnerKey), hashWithBinary(t, "password", password))))
	c := newClient(t)

	// The catalog has the document once the portal lists its operations.
	if !eventually(20*time.Second, func() bool {
		r, err := tryDo(c, "GET", gw.url("/portal/api/services/shop"), nil)
		return err == nil && r.Status == 200 && strings.Contains(r.Body, "partnerStock")
	}) {
		t.Fatalf("the portal never listed the document's operations")
	}

	full := p.RS256(claims("alice", "scope", "orders:read orders:write orders:admin"))
	noScope := p.ES256(claims("alice", "scope", "profile"))
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("reporter:"+password))
	creds := []oaCred{
		{scheme: "bearerAuth", header: []string{"Authorization", "Bearer " + full}, consumer: "alice"},
		{scheme: "oauth", header: []string{"Authorization", "Bearer " + full}, consumer: "alice"},
		{scheme: "partnerKey", header: []string{"X-Partner-Key", partnerKey}, consumer: "partner"},
		{scheme: "queryKey", query: "api_key=" + partnerKey, consumer: "partner"},
		{scheme: "basicAuth", header: []string{"Authorization", basic}, consumer: "reporter"},
		// The configured api_keys header: not what any operation names.
		{scheme: "X-Api-Key", header: []string{"X-Api-Key", partnerKey}, consumer: "partner"},
		// A cookie the gateway cannot check: never admits.
		{scheme: "sessionCookie", header: []string{"Cookie", "session=" + partnerKey}},
	}

	admitted := int64(0)
	send := func(method, path string, public bool, cr *oaCred, header ...string) response {
		t.Helper()
		url := "/shop" + path
		header = append(header, "X-Consumer", "admin") // a client naming itself
		if cr != nil {
			header = append(slices.Clone(cr.header), header...)
			if cr.query != "" {
				url += "?keep=1%2F2&" + cr.query + "&z=%C3%A9"
			}
		}
		before := up.count.Load()
		r := do(t, c, method, gw.url(url), nil, header...)
		if r.Status >= 500 {
			t.Errorf("%s %s: %d %s; never 5xx", method, url, r.Status, r.Body)
		}
		if r.Status >= 200 && r.Status < 300 {
			admitted++
			if up.count.Load() != before+1 {
				t.Fatalf("%s %s: %d but the upstream did not see it", method, url, r.Status)
			}
			got := up.Last()
			wantURI := path
			if cr != nil && cr.query != "" {
				wantURI += "?keep=1%2F2&z=%C3%A9"
				if public { // nothing verified: the query arrives as sent
					wantURI = strings.TrimPrefix(url, "/shop")
				}
			}
			if got.URI != wantURI {
				t.Errorf("%s %s: the upstream received %q, want %q (credential removed, the rest byte for byte)", method, url, got.URI, wantURI)
			}
			if public {
				// Not authenticated: nothing verified, nothing removed; but
				// no client names itself.
				if v := got.Header.Values("X-Consumer"); len(v) > 0 {
					t.Errorf("%s %s (public): the upstream received X-Consumer %q", method, url, v)
				}
				return r
			}
			for _, h := range []string{"Authorization", "X-Partner-Key", "X-Api-Key"} {
				if v := got.Header.Values(h); len(v) > 0 {
					t.Errorf("%s %s: the upstream received %s %q", method, url, h, v)
				}
			}
			if cr != nil && got.Header.Get("X-Consumer") != cr.consumer {
				t.Errorf("%s %s: the upstream received X-Consumer %q, want %q", method, url, got.Header.Get("X-Consumer"), cr.consumer)
			}
		} else if up.count.Load() != before {
			t.Errorf("%s %s: refused %d, yet the upstream received it", method, url, r.Status)
		}
		return r
	}

	var paths []string
	for path := range doc.Paths {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	ops := 0
	for _, path := range paths {
		concrete := pathParam.ReplaceAllString(path, "42")
		for m, raw := range doc.Paths[path] {
			method := strings.ToUpper(m)
			if !slices.Contains([]string{"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"}, method) {
				continue // parameters, summary
			}
			ops++
			var op oaOp
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			reqs := doc.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			name := method + " " + path
			public := len(reqs) == 0
			// The schemes and scopes that admit, one alternative each.
			accepts := map[string][]string{}
			for _, alt := range reqs {
				for s, scopes := range alt {
					accepts[s] = scopes
				}
			}

			r := send(method, concrete, public, nil)
			switch {
			case public && r.Status != 200:
				t.Errorf("%s is public (security: []) but without a credential got %d", name, r.Status)
			case !public && r.Status != 401:
				t.Errorf("%s without a credential: %d, want 401", name, r.Status)
			case !public && len(r.Header.Values("WWW-Authenticate")) == 0 && !onlyUncheckable(reqs):
				t.Errorf("%s: 401 without a WWW-Authenticate challenge", name)
			}
			for i := range creds {
				cr := &creds[i]
				_, ok := accepts[cr.scheme]
				if cr.scheme == "oauth" || cr.scheme == "bearerAuth" {
					_, ok1 := accepts["oauth"]
					_, ok2 := accepts["bearerAuth"]
					ok = ok1 || ok2
				}
				r := send(method, concrete, public, cr)
				switch {
				case public || (ok && cr.scheme != "sessionCookie"):
					if r.Status != 200 {
						t.Errorf("%s with a right credential (%s): %d %s", name, cr.scheme, r.Status, r.Body)
					}
				case r.Status != 401:
					t.Errorf("%s with a credential it does not accept (%s): %d, want 401", name, cr.scheme, r.Status)
				}
			}
			// A verified token without the scopes asked: 403 where scopes are
			// asked, admitted where a bearer token with none is enough.
			r = send(method, concrete, public, &oaCred{header: []string{"Authorization", "Bearer " + noScope}, consumer: "alice"})
			scopes, oauth := accepts["oauth"]
			_, plainBearer := accepts["bearerAuth"]
			switch {
			case public || plainBearer:
				if r.Status != 200 {
					t.Errorf("%s with a token without scopes: %d, want 200 (no scope asked)", name, r.Status)
				}
			case oauth && len(scopes) > 0:
				if r.Status != 403 || !strings.Contains(r.Header.Get("WWW-Authenticate"), "insufficient_scope") {
					t.Errorf("%s with a token lacking %v: %d %q, want 403 insufficient_scope", name, scopes, r.Status, r.Header.Get("WWW-Authenticate"))
				}
			case r.Status != 401:
				t.Errorf("%s with a bearer token it does not accept: %d, want 401", name, r.Status)
			}
		}
	}
	if ops < 10 {
		t.Fatalf("the document yielded %d operations; the fixture has 10", ops)
	}

	// A path the document does not have needs a credential, any configured one.
	if r := send("GET", "/undocumented", false, nil); r.Status != 401 {
		t.Errorf("an undocumented path without a credential: %d, want 401", r.Status)
	}
	for _, cr := range []oaCred{creds[0], creds[4], creds[5]} {
		if r := send("GET", "/undocumented", false, &cr); r.Status != 200 {
			t.Errorf("an undocumented path with a configured credential (%s): %d, want 200", cr.scheme, r.Status)
		}
	}
	if got := up.count.Load(); got != admitted {
		t.Errorf("the upstream received %d requests; %d were admitted", got, admitted)
	}
	gw.checkNoRace()
}

// onlyUncheckable: every alternative needs a cookie, which the gateway
// cannot check; there is no scheme to challenge with.
func onlyUncheckable(reqs []map[string][]string) bool {
	for _, alt := range reqs {
		if _, ok := alt["sessionCookie"]; !ok {
			return false
		}
	}
	return true
}
