package openapi

import (
	"context"
	"testing"
)

const secured = `{"openapi":"3.0.3","info":{"title":"s","version":"1"},
"security":[{"key":[]}],
"paths":{
 "/a":{"get":{"operationId":"a","responses":{"200":{"description":"ok"}}}},
 "/b":{"get":{"operationId":"b","security":[{"bearer":[],"query":[]},{"oauth":["read"]},{"cookie":[]},{"digest":[]},{"unknown":[]}],"responses":{"200":{"description":"ok"}}}},
 "/c":{"get":{"operationId":"c","security":[],"responses":{"200":{"description":"ok"}}}}},
"components":{"securitySchemes":{
 "key":{"type":"apiKey","in":"header","name":"X-API-Key"},
 "query":{"type":"apiKey","in":"query","name":"api_key"},
 "cookie":{"type":"apiKey","in":"cookie","name":"session"},
 "bearer":{"type":"http","scheme":"bearer"},
 "digest":{"type":"http","scheme":"digest"},
 "oauth":{"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"https://auth.example.com/token","scopes":{"read":"read"}}}}}}}`

func TestCredentialsFollowTheSecuritySchemes(t *testing.T) {
	doc, err := Load(context.Background(), []byte(secured), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for slug, want := range map[string][]Credential{
		// The document's requirement applies where the operation says nothing.
		"a": {{Scheme: "key", In: "header", Name: "X-API-Key", Placeholder: "API key"}},
		// Each scheme once, in the order named; cookies, digest and unknown
		// schemes cannot be sent from a browser's fetch and are left out.
		"b": {
			{Scheme: "bearer", In: "header", Name: "Authorization", Prefix: "Bearer ", Placeholder: "token"},
			{Scheme: "query", In: "query", Name: "api_key", Placeholder: "API key"},
			{Scheme: "oauth", In: "header", Name: "Authorization", Prefix: "Bearer ", Placeholder: "access token"},
		},
		// An empty list turns the document's requirement off.
		"c": nil,
	} {
		d, ok := doc.Detail(slug)
		if !ok {
			t.Fatalf("no operation %s", slug)
		}
		if len(d.Credentials) != len(want) {
			t.Errorf("%s: credentials %+v, want %+v", slug, d.Credentials, want)
			continue
		}
		for i := range want {
			if d.Credentials[i] != want[i] {
				t.Errorf("%s: credential %d is %+v, want %+v", slug, i, d.Credentials[i], want[i])
			}
		}
	}
}
