package portal

import (
	"strings"

	"github.com/bulwark-gw/bulwark/openapi"
)

// What the gateway enforces (issue 17) is shown where people read an API:
// each operation page says which credential the gateway will ask for, and
// try-it offers the fields that carry it, so that a call made from the
// portal passes the gateway it goes through. The portal never imports the
// gateway: cmd copies the gateway's admission view into Admission.
//
// Two ways the gateway may check credentials:
//
//   - auth.from_openapi: each operation's own security requirement, from the
//     document the portal shows. The page names that requirement as the
//     gateway reads it, and try-it keeps the document's fields; schemes the
//     gateway cannot check from a request (an API key in a cookie, mutual
//     TLS, an http scheme other than bearer and basic) are named "not
//     checked by the gateway".
//   - verifiers without from_openapi: the same credential on every
//     operation, whatever the document says. Try-it then offers the
//     gateway's fields (its API key header, a bearer token, basic) instead
//     of the document's, which the gateway would not accept.

// Admission is what the gateway enforces on a service's requests, as the
// portal shows it; a copy of the gateway's admission view.
type Admission struct {
	// FromOpenAPI: each operation's own security requirement is enforced.
	FromOpenAPI bool
	// Verifiers are the credential checks configured, in the order tried:
	// "jwt", "api_key", "basic", "forward".
	Verifiers []string
	// APIKeyHeader and APIKeyQuery are where the api_key verifier reads a
	// key ("" for none); BasicRealm is the basic verifier's realm.
	APIKeyHeader, APIKeyQuery, BasicRealm string
	// Scopes every token must hold, beyond what an operation asks.
	Scopes []string
	// RateLimit is "100/s per client_ip" (", shared"), or "" for none.
	RateLimit string
	// IPRules is true when an allow or deny list applies; the lists stay
	// with the operator.
	IPRules     bool
	CORSOrigins []string
}

// checksCredentials reports whether the gateway asks a caller for a
// credential at all.
func (a Admission) checksCredentials() bool {
	return a.FromOpenAPI || len(a.Verifiers) > 0
}

// admission is the service's admission, or nil without one.
func (p *portal) admission(service string) *Admission {
	if p.opts.Admission == nil {
		return nil
	}
	a, ok := p.opts.Admission(service)
	if !ok {
		return nil
	}
	return &a
}

// enforcement is what an operation page says and offers about credentials.
type enforcement struct {
	// Line follows "Enforced by the gateway: " ("" shows no line);
	// EveryOperation says it is the same on every operation.
	Line           string
	EveryOperation bool
	// Credentials are try-it's fields.
	Credentials []openapi.Credential
}

// enforce decides what the operation page shows under a (nil: nothing is
// enforced, and try-it keeps the document's fields).
func enforce(a *Admission, d *openapi.Detail) enforcement {
	switch {
	case a == nil || !a.checksCredentials():
		return enforcement{Credentials: d.Credentials}
	case a.FromOpenAPI:
		return enforcement{Line: describeRequirements(d.Requirements, a.Scopes), Credentials: d.Credentials}
	}
	return enforcement{Line: describeVerifiers(*a), EveryOperation: true, Credentials: gatewayCredentials(*a)}
}

// notChecked marks what the gateway cannot verify from a request.
const notChecked = " (not checked by the gateway)"

// describeRequirements says an operation's requirements as the gateway
// enforces them: alternatives joined by "or", schemes by "and".
func describeRequirements(reqs []openapi.Requirement, extraScopes []string) string {
	if len(reqs) == 0 {
		return "public: no credential needed"
	}
	alts := make([]string, 0, len(reqs))
	for _, r := range reqs {
		if len(r) == 0 {
			alts = append(alts, "no credential (anonymous calls are allowed)")
			continue
		}
		parts := make([]string, 0, len(r))
		for _, s := range r {
			parts = append(parts, describeScheme(s))
		}
		alts = append(alts, strings.Join(parts, " and "))
	}
	out := strings.Join(alts, ", or ")
	if len(extraScopes) > 0 {
		out += "; every token must also hold scopes " + strings.Join(extraScopes, ", ")
	}
	return out
}

func describeScheme(s openapi.SecurityScheme) string {
	scopes := ""
	if len(s.Scopes) > 0 {
		scopes = " with scopes " + strings.Join(s.Scopes, ", ")
	}
	switch s.Type {
	case "http":
		switch s.Scheme {
		case "bearer":
			return "Bearer token" + scopes
		case "basic":
			return "HTTP Basic credentials"
		}
		return "HTTP " + s.Scheme + " authentication" + notChecked
	case "oauth2":
		return "Bearer token (OAuth 2)" + scopes
	case "openIdConnect":
		return "Bearer token (OpenID Connect)" + scopes
	case "apiKey":
		switch s.In {
		case "header":
			return "API key in header " + s.Param
		case "query":
			return "API key in query parameter " + s.Param
		}
		return "API key in " + s.In + " " + s.Param + notChecked
	case "mutualTLS":
		return "mutual TLS client certificate" + notChecked
	case openapi.SchemeUnknown:
		return "scheme " + s.Name + ", which the document does not define (refused by the gateway)"
	}
	return s.Type + " scheme " + s.Name + notChecked
}

// describeVerifiers says what the gateway asks on every operation: any one
// of its verifiers.
func describeVerifiers(a Admission) string {
	var alts []string
	for _, v := range a.Verifiers {
		switch v {
		case "jwt":
			alts = append(alts, "JWT bearer token")
		case "api_key":
			switch {
			case a.APIKeyHeader != "" && a.APIKeyQuery != "":
				alts = append(alts, "API key in header "+a.APIKeyHeader+" or query parameter "+a.APIKeyQuery)
			case a.APIKeyHeader != "":
				alts = append(alts, "API key in header "+a.APIKeyHeader)
			case a.APIKeyQuery != "":
				alts = append(alts, "API key in query parameter "+a.APIKeyQuery)
			}
		case "basic":
			b := "HTTP Basic credentials"
			if a.BasicRealm != "" {
				b += " (realm " + a.BasicRealm + ")"
			}
			alts = append(alts, b)
		case "forward":
			alts = append(alts, "what the gateway's authorization service accepts")
		}
	}
	out := strings.Join(alts, ", or ")
	if len(a.Scopes) > 0 {
		out += "; tokens must hold scopes " + strings.Join(a.Scopes, ", ")
	}
	return out
}

// gatewayCredentials are try-it's fields for the gateway's own verifiers.
// An API key goes in the gateway's header when it reads one, else in its
// query parameter. A forward verifier has no field of its own: the free
// header field carries whatever it expects.
func gatewayCredentials(a Admission) []openapi.Credential {
	var out []openapi.Credential
	for _, v := range a.Verifiers {
		switch v {
		case "jwt":
			out = append(out, openapi.Credential{Scheme: "gateway JWT", In: "header", Name: "Authorization", Prefix: "Bearer ", Placeholder: "token"})
		case "api_key":
			c := openapi.Credential{Scheme: "gateway API key", In: "header", Name: a.APIKeyHeader, Placeholder: "API key"}
			if c.Name == "" {
				c.In, c.Name = "query", a.APIKeyQuery
			}
			if c.Name != "" {
				out = append(out, c)
			}
		case "basic":
			out = append(out, openapi.Credential{Scheme: "gateway basic", In: "header", Name: "Authorization", Prefix: "Basic ", Placeholder: "base64 of user:password"})
		}
	}
	return out
}

// serviceAdmission is what the service page says the gateway enforces, one
// sentence a line.
func serviceAdmission(a *Admission) []string {
	if a == nil {
		return nil
	}
	var out []string
	switch {
	case a.FromOpenAPI:
		out = append(out, "The gateway enforces each operation's own security requirement, shown on the operation's page.")
	case len(a.Verifiers) > 0:
		out = append(out, "The gateway asks every request for: "+describeVerifiers(*a)+".")
	}
	if a.RateLimit != "" {
		out = append(out, "Rate limit: "+a.RateLimit+".")
	}
	if a.IPRules {
		out = append(out, "IP rules apply: some client addresses are refused.")
	}
	if len(a.CORSOrigins) > 0 {
		out = append(out, "Cross-origin calls are allowed from "+strings.Join(a.CORSOrigins, ", ")+".")
	}
	return out
}
