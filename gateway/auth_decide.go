package gateway

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/internal/authn"
)

// decide finds whether r may pass. With auth.from_openapi and an operation
// the service's document knows, its security requirement decides: any one
// alternative whose schemes all verify admits, an empty list admits
// everybody (security: []). Otherwise (no from_openapi, no document, or a
// path the document does not have: the gate stays shut where the document
// is silent) any one configured verifier admits.
func (p *authPlan) decide(r *http.Request, ex *exchange) (verdict, error) {
	reqs := p.implied()
	if p.fromOpenAPI && p.security != nil {
		if doc, found := p.security(ex.route.Service, r.Method, r.URL.EscapedPath()); found {
			if len(doc) == 0 {
				return verdict{method: "public", slots: slotsOf(p.implied())}, nil
			}
			reqs = doc
		}
	}
	v, err := p.satisfy(r, reqs)
	// Every place a credential of this request could be is cleared, not
	// only the one that admitted it: a second key (another consumer's) in
	// another place must not reach an upstream told the caller is the
	// first.
	v.slots = slotsOf(slices.Concat(reqs, p.implied()))
	return v, err
}

// slotsOf lists where the schemes of reqs carry a credential.
func slotsOf(reqs []SecurityRequirement) []credential {
	var out []credential
	add := func(c credential) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, alt := range reqs {
		for _, s := range alt {
			switch schemeVerifier(s) {
			case "jwt", "basic":
				add(credential{header: "Authorization"})
			case "api_key":
				if s.In == "query" {
					add(credential{query: s.Param})
				} else {
					add(credential{header: http.CanonicalHeaderKey(s.Param)})
				}
			}
		}
	}
	return out
}

// implied are the alternatives of the configured verifiers, one each, for
// a route that does not read its document.
func (p *authPlan) implied() []SecurityRequirement {
	var reqs []SecurityRequirement
	if p.jwtConfigured {
		reqs = append(reqs, SecurityRequirement{{Type: "http", Scheme: "bearer"}})
	}
	if p.basic != nil {
		reqs = append(reqs, SecurityRequirement{{Type: "http", Scheme: "basic"}})
	}
	if p.apiKeys != nil {
		reqs = append(reqs, SecurityRequirement{{Type: "apiKey", In: "header", Param: p.apiKeyHeader}})
		if p.apiKeyQuery != "" {
			reqs = append(reqs, SecurityRequirement{{Type: "apiKey", In: "query", Param: p.apiKeyQuery}})
		}
	}
	if p.forwardConfigured {
		reqs = append(reqs, SecurityRequirement{{Type: "forward"}})
	}
	return reqs
}

// satisfy tries the alternatives in order; the first whose every scheme
// verifies admits. Each credential is verified once per request however
// many alternatives name it. When none admits, the most telling refusal
// is returned: a token without a scope (403) over a verifier that could not
// be reached (503) over a credential that failed (401) over none sent.
func (p *authPlan) satisfy(r *http.Request, reqs []SecurityRequirement) (verdict, error) {
	memo := map[string]checked{} // by the scheme without its scopes
	var best *checked
	for _, alt := range reqs {
		v := verdict{method: "none"}
		var failed *checked
		for _, s := range alt {
			key := s.Type + "\x00" + strings.ToLower(s.Scheme) + "\x00" + s.In + "\x00" + s.Param
			c, ok := memo[key]
			if !ok {
				c = p.check(r, s)
				memo[key] = c
			}
			if c.err == nil {
				c.err = p.scoped(c.id, s.Scopes)
			}
			if c.err != nil || c.denial != nil {
				failed = &c
				break
			}
			if v.method == "none" {
				v.method = c.method
				v.id = c.id
			}
		}
		if failed == nil {
			if len(alt) == 0 {
				v.method = "public" // OpenAPI's {}: anonymous access
			}
			return v, nil
		}
		if best == nil || failed.rank() > best.rank() {
			best = failed
		}
	}
	if best == nil {
		// No alternative at all: a from_openapi route with no verifier
		// configured. Refuse: the gate stays shut.
		return verdict{method: "none", requirements: reqs}, &AdmissionError{Kind: ErrUnauthorized, Reason: "no_verifier",
			Detail: "this route accepts no credential the gateway can check"}
	}
	return verdict{method: best.method, denial: best.denial, requirements: reqs}, best.err
}

// checked is one scheme's outcome for one request.
type checked struct {
	method string
	id     authn.Identity
	denial *authn.Denial
	err    error
	sent   bool // the request carried this scheme's credential
}

// rank orders refusals by how much they tell the client.
func (c *checked) rank() int {
	switch {
	case c.denial != nil:
		return 5
	case errors.Is(c.err, ErrForbidden):
		return 4
	case errors.Is(c.err, ErrAuthUnavailable):
		return 3
	case c.sent:
		return 2
	}
	return 1
}

// scoped refuses an identity without every scope asked of it: the route's
// auth.scopes and the operation's.
func (p *authPlan) scoped(id authn.Identity, asked []string) error {
	for _, s := range slices.Concat(p.scopes, asked) {
		if !slices.Contains(id.Scopes, s) {
			return &AdmissionError{Kind: ErrForbidden, Reason: "insufficient_scope",
				Detail: "the token lacks the scope " + s}
		}
	}
	return nil
}

// check verifies one scheme's credential in r.
func (p *authPlan) check(r *http.Request, s SecurityScheme) checked {
	ctx := r.Context()
	switch schemeVerifier(s) {
	case "jwt":
		c := checked{method: "jwt"}
		if !p.jwtConfigured {
			c.err = noVerifier("bearer tokens")
			return c
		}
		tok := bearer(r)
		if tok == "" {
			c.err = missing("a bearer token")
			return c
		}
		c.sent = true
		if p.jwt == nil {
			c.err = &AdmissionError{Kind: ErrAuthUnavailable, Reason: "unavailable", Detail: "the token verifier is not available"}
			return c
		}
		c.id, c.err = p.jwt.Verify(ctx, tok)
		c.err = fromAuthn(c.err)
		return c
	case "basic":
		c := checked{method: "basic"}
		if p.basic == nil {
			c.err = noVerifier("passwords")
			return c
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			c.err = missing("a user name and password")
			return c
		}
		c.sent = true
		c.id, c.err = p.basic.Verify(user, pass)
		c.err = fromAuthn(c.err)
		return c
	case "api_key":
		c := checked{method: "api_key"}
		if p.apiKeys == nil {
			c.err = noVerifier("API keys")
			return c
		}
		var key string
		if s.In == "query" {
			key = r.URL.Query().Get(s.Param)
		} else {
			key = r.Header.Get(s.Param)
		}
		if key == "" {
			c.err = missing("an API key in " + s.In + " " + s.Param)
			return c
		}
		c.sent = true
		c.id, c.err = p.apiKeys.Verify(key)
		c.err = fromAuthn(c.err)
		return c
	case "forward":
		c := checked{method: "forward", sent: true}
		if p.forward == nil {
			c.err = &AdmissionError{Kind: ErrAuthUnavailable, Reason: "unavailable", Detail: "the forward auth service is not available"}
			return c
		}
		c.id, c.denial, c.err = p.forward.Verify(ctx, r)
		c.err = fromAuthn(c.err)
		if c.denial != nil && c.err == nil {
			c.err = &AdmissionError{Kind: ErrUnauthorized, Reason: "denied", Detail: "the forward auth service refused the request"}
		}
		return c
	}
	return checked{method: "none", err: &AdmissionError{Kind: ErrUnauthorized, Reason: "unsupported_scheme",
		Detail: "the document asks for a " + s.Type + " credential, which the gateway cannot check"}}
}

// schemeVerifier names the verifier that checks a document's scheme, or ""
// when the gateway has none for it (a cookie API key, mutual TLS, a
// scheme the document does not define).
func schemeVerifier(s SecurityScheme) string {
	switch s.Type {
	case "http":
		switch {
		case strings.EqualFold(s.Scheme, "bearer"):
			return "jwt"
		case strings.EqualFold(s.Scheme, "basic"):
			return "basic"
		}
	case "oauth2", "openIdConnect":
		return "jwt"
	case "apiKey":
		if (s.In == "header" || s.In == "query") && s.Param != "" {
			return "api_key"
		}
	case "forward":
		return "forward"
	}
	return ""
}

func missing(what string) error {
	return &AdmissionError{Kind: ErrUnauthorized, Reason: "missing", Detail: "this route needs " + what}
}

func noVerifier(what string) error {
	return &AdmissionError{Kind: ErrUnauthorized, Reason: "no_verifier", Detail: "the gateway is not configured to check " + what + " on this route"}
}

// fromAuthn turns a verifier's refusal into the gateway's: its status picks
// the kind, its reason and detail carry over.
func fromAuthn(err error) error {
	if err == nil {
		return nil
	}
	var e *authn.Error
	if !errors.As(err, &e) {
		return &AdmissionError{Kind: ErrUnauthorized, Reason: "invalid", Detail: "the credential did not verify"}
	}
	kind := ErrUnauthorized
	switch e.Status {
	case http.StatusForbidden:
		kind = ErrForbidden
	case http.StatusServiceUnavailable:
		kind = ErrAuthUnavailable
	}
	return &AdmissionError{Kind: kind, Reason: e.Reason, Detail: e.Detail}
}
