package openapi

import (
	"maps"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// Credential is one security scheme as a try-it field: the value a user
// types goes in the header or query parameter Name, after Prefix.
type Credential struct {
	Scheme      string // the scheme's name in the document ("api_key")
	In          string // "header" or "query"
	Name        string // "X-API-Key", "Authorization", "api_key"
	Prefix      string // "Bearer " or "Basic " for Authorization
	Placeholder string
}

// credentials lists the try-it fields for the schemes an operation's
// security requirements name (its own, else the document's), in the order
// they are first named. Schemes a browser cannot send (an API key in a
// cookie, mutual TLS) are left out; the Authentication line still names them.
func credentials(doc *openapi3.T, op *openapi3.SecurityRequirements) []Credential {
	reqs := doc.Security
	if op != nil {
		reqs = *op
	}
	var names []string
	for _, alt := range reqs {
		for _, n := range slices.Sorted(maps.Keys(alt)) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	var out []Credential
	for _, n := range names {
		if doc.Components == nil || doc.Components.SecuritySchemes[n] == nil || doc.Components.SecuritySchemes[n].Value == nil {
			continue
		}
		v := doc.Components.SecuritySchemes[n].Value
		c := Credential{Scheme: n, In: "header", Name: "Authorization"}
		switch v.Type {
		case "apiKey":
			if v.In != "header" && v.In != "query" {
				continue
			}
			c.In, c.Name, c.Placeholder = v.In, v.Name, "API key"
		case "http":
			switch v.Scheme {
			case "bearer", "Bearer":
				c.Prefix, c.Placeholder = "Bearer ", "token"
			case "basic", "Basic":
				c.Prefix, c.Placeholder = "Basic ", "base64 of user:password"
			default:
				continue
			}
		case "oauth2", "openIdConnect":
			c.Prefix, c.Placeholder = "Bearer ", "access token"
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}
