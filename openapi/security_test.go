package openapi

import (
	"context"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// guarded is a document with every kind of security the gateway's
// auth.from_openapi reads, served under a base path.
const guarded = `{"openapi":"3.0.3","info":{"title":"g","version":"1"},
"servers":[{"url":"https://svc.internal/api/v1"}],
"security":[{"key":[]}],
"paths":{
 "/":{"get":{"security":[],"responses":{"200":{"description":"ok"}}}},
 "/pets":{
  "get":{"responses":{"200":{"description":"ok"}}},
  "post":{"security":[{"oauth":["write:pets"]},{"key":[],"bearer":[]}],"responses":{"200":{"description":"ok"}}}},
 "/pets/{id}":{
  "get":{"security":[{"oauth":["read:pets"]}],"responses":{"200":{"description":"ok"}}},
  "delete":{"security":[{},{"basic":[]}],"responses":{"200":{"description":"ok"}}}},
 "/pets/mine":{"get":{"security":[],"responses":{"200":{"description":"ok"}}}},
 "/pets/{id}/photo/{name}.{ext}":{"get":{"security":[{"ghost":[]}],"responses":{"200":{"description":"ok"}}}},
 "/health":{
  "get":{"responses":{"200":{"description":"ok"}}},
  "head":{"security":[],"responses":{"200":{"description":"ok"}}}},
 "/orders/":{"get":{"security":[{"cookie":[]},{"query":[]}],"responses":{"200":{"description":"ok"}}}}},
"components":{"securitySchemes":{
 "key":{"type":"apiKey","in":"header","name":"X-API-Key"},
 "query":{"type":"apiKey","in":"query","name":"api_key"},
 "cookie":{"type":"apiKey","in":"cookie","name":"session"},
 "bearer":{"type":"http","scheme":"Bearer"},
 "basic":{"type":"http","scheme":"basic"},
 "oauth":{"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"https://auth.example.com/token","scopes":{"read:pets":"r","write:pets":"w"}}}}}}}`

var (
	key     = SecurityScheme{Name: "key", Type: "apiKey", In: "header", Param: "X-API-Key"}
	query   = SecurityScheme{Name: "query", Type: "apiKey", In: "query", Param: "api_key"}
	cookie  = SecurityScheme{Name: "cookie", Type: "apiKey", In: "cookie", Param: "session"}
	bearer  = SecurityScheme{Name: "bearer", Type: "http", Scheme: "bearer"}
	basic   = SecurityScheme{Name: "basic", Type: "http", Scheme: "basic"}
	ghost   = SecurityScheme{Name: "ghost", Type: SchemeUnknown}
	oauthR  = SecurityScheme{Name: "oauth", Type: "oauth2", Scopes: []string{"read:pets"}}
	oauthW  = SecurityScheme{Name: "oauth", Type: "oauth2", Scopes: []string{"write:pets"}}
	public  = []Requirement(nil)
	keyOnly = []Requirement{{key}}
)

func load(t testing.TB, doc string, opts Options) *Document {
	t.Helper()
	d, err := Load(context.Background(), []byte(doc), opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSecurityFindsTheOperationsRequirementAsTheGatewayReceivesTheRequest(t *testing.T) {
	doc := load(t, guarded, Options{PublicURL: "https://gw.test", RoutePrefix: "/shop", StripPrefix: true})
	const base = "/shop/api/v1"
	for _, tt := range []struct {
		name, method, path string
		want               []Requirement
		found              bool
	}{
		{"the document's requirement applies where the operation says nothing", "GET", base + "/pets", keyOnly, true},
		{"alternatives keep their order and each one's schemes are sorted by name", "POST", base + "/pets",
			[]Requirement{{oauthW}, {bearer, key}}, true},
		{"an empty list makes an operation public", "GET", base + "/pets/mine", public, true},
		{"a literal segment beats a parameter", "GET", base + "/pets/mine", public, true},
		{"a parameter matches one segment", "GET", base + "/pets/42", []Requirement{{oauthR}}, true},
		{"an escaped slash stays inside its segment", "GET", base + "/pets/a%2Fb", []Requirement{{oauthR}}, true},
		{"an escaped literal is that literal, as the service decodes it", "GET", base + "/pets/%6Dine", public, true},
		{"an empty object is an anonymous alternative", "DELETE", base + "/pets/1", []Requirement{{}, {basic}}, true},
		{"HEAD takes GET's requirement when the path has no HEAD operation", "HEAD", base + "/pets/42", []Requirement{{oauthR}}, true},
		{"a HEAD operation of its own wins over GET's", "HEAD", base + "/health", public, true},
		{"methods are case-sensitive: get is no GET operation", "get", base + "/health", nil, false},
		{"a method the path lacks is no operation", "PUT", base + "/pets/42", nil, false},
		{"the most specific path decides even when it lacks the method", "DELETE", base + "/pets/mine", nil, false},
		{"a segment mixing literals and parameters matches its literals", "GET", base + "/pets/1/photo/cat.png",
			[]Requirement{{ghost}}, true},
		{"a segment mixing literals and parameters needs its literals", "GET", base + "/pets/1/photo/catpng", nil, false},
		{"an empty segment is no parameter", "GET", base + "/pets//photo/a.b", nil, false},
		{"a trailing slash the template lacks does not match", "GET", base + "/pets/", nil, false},
		{"a trailing slash the template has must be sent", "GET", base + "/orders", nil, false},
		{"a template with a trailing slash matches it", "GET", base + "/orders/", []Requirement{{cookie}, {query}}, true},
		{"the server's root is a template of its own", "GET", base + "/", public, true},
		{"the base path alone is not the root template", "GET", base, nil, false},
		{"a path without the gateway's prefix and the server's path is not the document's", "GET", "/pets", nil, false},
		{"another version's base path is not the document's", "GET", "/shop/api/v2/pets", nil, false},
		{"a relative path is no request path", "GET", "pets", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, found := doc.Security(tt.method, tt.path)
			if found != tt.found || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Security(%s %s) = %+v, %v; want %+v, %v", tt.method, tt.path, got, found, tt.want, tt.found)
			}
		})
	}
}

func TestSecurityMatchesRelativeAndAbsentServers(t *testing.T) {
	const noServers = `{"openapi":"3.0.3","info":{"title":"n","version":"1"},"paths":{"/pets":{"get":{"responses":{"200":{"description":"ok"}}}}}}`
	relative := strings.Replace(guarded, "https://svc.internal/api/v1", "/api/v1", 1)
	for _, tt := range []struct {
		name, doc string
		opts      Options
		path      string
		want      []Requirement
		found     bool
	}{
		{"a relative server's path prefixes every template", relative, Options{}, "/api/v1/pets", keyOnly, true},
		{"a route the gateway does not strip adds nothing", relative, Options{RoutePrefix: "/api", StripPrefix: false}, "/api/v1/pets", keyOnly, true},
		{"a document without servers is served from the root", noServers, Options{}, "/pets", public, true},
		{"a document without any security is public", noServers, Options{RoutePrefix: "/n", StripPrefix: true}, "/n/pets", public, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, found := load(t, tt.doc, tt.opts).Security("GET", tt.path)
			if found != tt.found || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Security(GET %s) = %+v, %v; want %+v, %v", tt.path, got, found, tt.want, tt.found)
			}
		})
	}
}

func TestAnUndefinedSchemeIsAProblemOfTheDocument(t *testing.T) {
	// kin-openapi's validation reports undefined schemes in operations; the
	// document-level list is checked here too, and each is reported once.
	doc := load(t, strings.Replace(guarded, `"security":[{"key":[]}]`, `"security":[{"nokey":[]}]`, 1), Options{})
	var ghostSeen, nokeySeen int
	for _, p := range doc.Problems {
		if strings.Contains(p.Message, `undefined security scheme "ghost"`) {
			ghostSeen++
		}
		if strings.Contains(p.Message, `undefined security scheme "nokey"`) {
			nokeySeen++
		}
	}
	if ghostSeen != 1 || nokeySeen != 1 {
		t.Errorf("undefined schemes reported %d (ghost) and %d (nokey) times, want once each: %+v", ghostSeen, nokeySeen, doc.Problems)
	}
	got, _ := doc.Security("GET", "/api/v1/pets")
	if want := []Requirement{{{Name: "nokey", Type: SchemeUnknown}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("the undefined scheme resolves to %+v, want %+v", got, want)
	}
}

func TestTheDetailCarriesTheResolvedRequirements(t *testing.T) {
	doc := load(t, guarded, Options{})
	for _, op := range doc.Operations {
		d, _ := doc.Detail(op.Slug)
		got, found := doc.Security(op.Method, "/api/v1"+op.Path)
		if strings.Contains(op.Path, "{") {
			continue // the path needs values; the table above covers them
		}
		if !found || !reflect.DeepEqual(got, d.Requirements) {
			t.Errorf("%s %s: the page shows %+v, the gateway enforces %+v (%v)", op.Method, op.Path, d.Requirements, got, found)
		}
	}
}

func TestSecurityOfARealDocument(t *testing.T) {
	doc := load(t, string(fixture(t, "swagger2-petstore-formdata.yaml")),
		Options{PublicURL: "https://gw.test", RoutePrefix: "/api", StripPrefix: true})
	auth := SecurityScheme{Name: "petstore_auth", Type: "oauth2", Scopes: []string{"write:pets", "read:pets"}}
	apiKey := SecurityScheme{Name: "api_key", Type: "apiKey", In: "header", Param: "api_key"}
	for _, tt := range []struct {
		name, method, path string
		want               []Requirement
		found              bool
	}{
		{"the Swagger 2.0 oauth2 requirement keeps its scopes", "POST", "/api/v2/pet", []Requirement{{auth}}, true},
		{"findByStatus is a literal path, not a pet id", "GET", "/api/v2/pet/findByStatus", []Requirement{{auth}}, true},
		{"a pet by id asks for the API key in its header", "GET", "/api/v2/pet/7", []Requirement{{apiKey}}, true},
		{"another method of the same path asks for oauth2", "POST", "/api/v2/pet/7", []Requirement{{auth}}, true},
		{"the inventory asks for the API key", "GET", "/api/v2/store/inventory", []Requirement{{apiKey}}, true},
		{"logging in asks for nothing", "GET", "/api/v2/user/login", public, true},
		{"the basePath is part of the path", "GET", "/api/pet/7", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, found := doc.Security(tt.method, tt.path)
			if found != tt.found || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Security(%s %s) = %+v, %v; want %+v, %v", tt.method, tt.path, got, found, tt.want, tt.found)
			}
		})
	}
}

// FuzzPathMatcher matches any path against any template: it never panics,
// and a match always has one request segment per template segment, counted
// here independently of the matcher.
func FuzzPathMatcher(f *testing.F) {
	for _, s := range [][2]string{
		{"/pets/{id}", "/pets/1"}, {"/pets/{id}", "/pets/a%2Fb"}, {"/pets/", "/pets/"},
		{"/f/{name}.{ext}", "/f/a.b"}, {"/{a}{b}", "/xy"}, {"/%zz/{", "/%zz/%7B"}, {"/", "/"},
		{"/v{version}/x", "/v1/x"}, {"{}", "/%"}, {"/a/{b/c}", "/a/x/y"},
	} {
		f.Add(s[0], s[1])
	}
	doc := load(f, guarded, Options{})
	f.Fuzz(func(t *testing.T, tmpl, path string) {
		_, _ = doc.Security("GET", path)
		raw, ok := splitPath(path)
		if !ok {
			return
		}
		if matchSegments(compileTemplate(tmpl), raw) {
			want := strings.Count(strings.TrimPrefix(tmpl, "/"), "/") + 1
			if len(raw) != want {
				t.Fatalf("%q matched %q with %d segments, the template has %d", path, tmpl, len(raw), want)
			}
		}
	})
}

// FuzzMixedSegment runs the hand-written matcher of segments such as
// "{name}.{ext}" side by side with the regexp it replaces (one or more
// bytes per parameter), on every template the regexp package can compile.
func FuzzMixedSegment(f *testing.F) {
	for _, s := range [][2]string{{"{name}.{ext}", "a.b"}, {"{a}{b}", "xy"}, {"x{a}y{b}z", "xayyybz"}, {"{a}.", "."}, {"v{v}", "v"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, tmpl, s string) {
		seg := compileSegment(tmpl)
		if seg.mixed == nil || !utf8.ValidString(s) || slices.ContainsFunc(seg.mixed, func(l string) bool { return !utf8.ValidString(l) }) {
			return // the regexp package compiles valid UTF-8 only
		}
		var re strings.Builder
		re.WriteString("^(?s)")
		for i, l := range seg.mixed {
			if i > 0 {
				re.WriteString(".+")
			}
			re.WriteString(regexp.QuoteMeta(l))
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(s)
		if got := matchMixed(seg.mixed, s); got != want {
			t.Fatalf("%q against %q: matcher says %v, regexp %s says %v", s, tmpl, got, re.String(), want)
		}
	})
}
