package portal

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/catalog"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/openapi"
)

// guardedPets asks for an API key by default, OAuth 2 to create a pet,
// nothing to read one, and what the gateway cannot check (a cookie, mutual
// TLS) for a session.
const guardedPets = `{"openapi":"3.1.0","info":{"title":"Guarded pets","version":"1"},
"security":[{"key":[]}],
"paths":{
 "/pets":{
  "get":{"operationId":"listPets","responses":{"200":{"description":"ok"}}},
  "post":{"operationId":"createPet","security":[{"oauth":["write:pets"]}],"responses":{"201":{"description":"made"}}}},
 "/pets/{id}":{"get":{"operationId":"getPet","security":[],
  "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"},"example":"7"}],
  "responses":{"200":{"description":"ok"}}}},
 "/session":{"get":{"operationId":"session","security":[{"cookie":[]},{"mtls":[]}],"responses":{"200":{"description":"ok"}}}}},
"components":{"securitySchemes":{
 "key":{"type":"apiKey","in":"header","name":"X-API-Key"},
 "cookie":{"type":"apiKey","in":"cookie","name":"sid"},
 "mtls":{"type":"mutualTLS"},
 "oauth":{"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"https://auth.example.com/token","scopes":{"write:pets":"w"}}}}}}}`

// The services of admissionSite, all serving guardedPets.
var admissions = map[string]Admission{
	// The document's own requirements, with a scope every token needs.
	"fromdoc": {FromOpenAPI: true, Verifiers: []string{"jwt", "api_key"}, APIKeyHeader: "X-Api-Key", Scopes: []string{"pets"}},
	// The gateway's API key (its own header name, which the document does
	// not use) and a JWT on every operation, whatever the document says.
	"keyed": {Verifiers: []string{"api_key", "jwt"}, APIKeyHeader: "X-Gateway-Key", APIKeyQuery: "key",
		RateLimit: "100/s per client_ip", IPRules: true, CORSOrigins: []string{"https://app.example.com"}},
	// A header name an operator could never configure, to prove escaping.
	"hostile": {Verifiers: []string{"api_key"}, APIKeyHeader: `<script>alert(1)</script>`, RateLimit: `<b>1/s</b>`},
	// "open" has no admission: the gateway routes it and asks nothing.
}

// admissionSite serves the portal over a catalog of guardedPets under
// every name in admissions and "open", each routed at /NAME with the prefix
// stripped, and sends any other path to gateway (the routes try-it calls).
func admissionSite(t *testing.T, gateway http.Handler) *httptest.Server {
	t.Helper()
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, guardedPets) }))
	t.Cleanup(svc.Close)
	addr := svc.Listener.Addr().String()
	names := []string{"fromdoc", "keyed", "hostile", "open"}
	snap := &discovery.Snapshot{}
	for _, n := range names {
		snap.Services = snap.Services.Set(n, []discovery.Instance{{ID: n, Addr: addr, Health: discovery.Passing}})
	}
	c := catalog.New(catalog.Options{RouteOf: func(s string) (catalog.Route, bool) {
		return catalog.Route{Prefix: "/" + s, StripPrefix: true}, true
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	c.Update(snap)
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Entries()) < len(names) {
		if time.Now().After(deadline) {
			t.Fatalf("the catalog has %d entries, want %d", len(c.Entries()), len(names))
		}
		time.Sleep(10 * time.Millisecond)
	}
	mux := http.NewServeMux()
	mux.Handle("/portal/", Handler(Options{Path: "/portal", Catalog: c, Admission: func(s string) (Admission, bool) {
		a, ok := admissions[s]
		return a, ok
	}, Conformance: func(s string) (Conformance, bool) {
		c, ok := conformances[s] // conformance_test.go
		return c, ok
	}}))
	if gateway == nil {
		gateway = http.NotFoundHandler()
	}
	mux.Handle("/", gateway)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestPagesSayWhatTheGatewayEnforces(t *testing.T) {
	srv := admissionSite(t, nil)
	for _, tt := range []struct {
		name, path string
		want, not  []string
	}{
		{"with from_openapi an operation shows its own requirement and the gateway's extra scopes",
			"/portal/services/fromdoc/operations/createpet",
			[]string{"Enforced by the gateway: Bearer token (OAuth 2) with scopes write:pets; every token must also hold scopes pets."},
			[]string{"on every operation"}},
		{"with from_openapi the document's default requirement is the operation's",
			"/portal/services/fromdoc/operations/listpets",
			[]string{"Enforced by the gateway: API key in header X-API-Key", `data-name="X-API-Key"`}, nil},
		{"with from_openapi a public operation says no credential is needed",
			"/portal/services/fromdoc/operations/getpet",
			[]string{"Enforced by the gateway: public: no credential needed."}, []string{`name="cred"`}},
		{"with from_openapi what the gateway cannot check is said so, and offers no field",
			"/portal/services/fromdoc/operations/session",
			[]string{"API key in cookie sid (not checked by the gateway), or mutual TLS client certificate (not checked by the gateway)"},
			[]string{`name="cred"`}},
		{"verifiers without from_openapi apply on every operation, and try-it offers the gateway's fields",
			"/portal/services/keyed/operations/getpet",
			[]string{"Enforced by the gateway on every operation: API key in header X-Gateway-Key or query parameter key, or JWT bearer token.",
				`data-name="X-Gateway-Key"`, `data-scheme="gateway API key"`, `data-prefix="Bearer "`},
			[]string{`data-name="X-API-Key"`}},
		{"a service the gateway asks nothing of keeps the document's fields and shows no line",
			"/portal/services/open/operations/listpets",
			[]string{`data-name="X-API-Key"`}, []string{"Enforced by the gateway"}},
		{"the service page shows the rate limit, the IP rules and the origins",
			"/portal/services/keyed",
			[]string{"Rate limit: 100/s per client_ip.", "IP rules apply", "Cross-origin calls are allowed from https://app.example.com.",
				"The gateway asks every request for: API key in header X-Gateway-Key"}, nil},
		{"the service page of a from_openapi service points to the operations",
			"/portal/services/fromdoc",
			[]string{"each operation's own security requirement"}, []string{"Rate limit"}},
		{"whatever the admission says is escaped",
			"/portal/services/hostile/operations/listpets",
			[]string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>alert(1)"}},
		{"whatever the service page says of admission is escaped",
			"/portal/services/hostile",
			[]string{"Rate limit: &lt;b&gt;1/s&lt;/b&gt;."}, []string{"<b>1/s"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := page(t, srv, tt.path)
			if code != 200 {
				t.Fatalf("%s: %d", tt.path, code)
			}
			text := strings.ReplaceAll(body, "&#39;", "'")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s does not say %q", tt.path, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("%s says %q", tt.path, n)
				}
			}
		})
	}
}

func TestDescribeSchemes(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   openapi.SecurityScheme
		want string
	}{
		{"a bearer token names its scopes", openapi.SecurityScheme{Type: "http", Scheme: "bearer", Scopes: []string{"a", "b"}}, "Bearer token with scopes a, b"},
		{"basic is HTTP Basic", openapi.SecurityScheme{Type: "http", Scheme: "basic"}, "HTTP Basic credentials"},
		{"another http scheme is not checked", openapi.SecurityScheme{Type: "http", Scheme: "digest"}, "HTTP digest authentication (not checked by the gateway)"},
		{"an API key in a query parameter names it", openapi.SecurityScheme{Type: "apiKey", In: "query", Param: "k"}, "API key in query parameter k"},
		{"OpenID Connect is a bearer token", openapi.SecurityScheme{Type: "openIdConnect"}, "Bearer token (OpenID Connect)"},
		{"an undefined scheme is refused", openapi.SecurityScheme{Name: "ghost", Type: openapi.SchemeUnknown}, "scheme ghost, which the document does not define (refused by the gateway)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeScheme(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnforcementChoosesTryItsFields(t *testing.T) {
	doc := []openapi.Credential{{Scheme: "key", In: "header", Name: "X-API-Key", Placeholder: "API key"}}
	d := &openapi.Detail{Credentials: doc, Requirements: []openapi.Requirement{{}, {{Name: "basic", Type: "http", Scheme: "basic"}}}}
	for _, tt := range []struct {
		name      string
		admission *Admission
		want      enforcement
	}{
		{"without admission the document's fields stay", nil, enforcement{Credentials: doc}},
		{"a rate limit alone asks for no credential", &Admission{RateLimit: "1/s per route"}, enforcement{Credentials: doc}},
		{"from_openapi keeps the document's fields and names each alternative", &Admission{FromOpenAPI: true},
			enforcement{Line: "no credential (anonymous calls are allowed), or HTTP Basic credentials", Credentials: doc}},
		{"an API key read from a query parameter only gets a query field",
			&Admission{Verifiers: []string{"api_key"}, APIKeyQuery: "key"},
			enforcement{Line: "API key in query parameter key", EveryOperation: true,
				Credentials: []openapi.Credential{{Scheme: "gateway API key", In: "query", Name: "key", Placeholder: "API key"}}}},
		{"basic with a realm and a forward verifier",
			&Admission{Verifiers: []string{"basic", "forward"}, BasicRealm: "pets", Scopes: []string{"s"}},
			enforcement{Line: "HTTP Basic credentials (realm pets), or what the gateway's authorization service accepts; tokens must hold scopes s",
				EveryOperation: true, Credentials: []openapi.Credential{{Scheme: "gateway basic", In: "header", Name: "Authorization",
					Prefix: "Basic ", Placeholder: "base64 of user:password"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := enforce(tt.admission, d); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
