package gateway

import (
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// SecurityScheme is one scheme of an operation's security requirement, as
// the service's own OpenAPI document declares it (components.securitySchemes
// plus the scopes the requirement lists). The gateway maps it onto the
// verifiers its policy configures: http bearer, oauth2 and openIdConnect
// onto JWT, apiKey onto the consumers' API keys (read where the document
// says: the header or query parameter Param), http basic onto basic.
type SecurityScheme struct {
	Name   string   `json:"name"`             // the scheme's name in the document
	Type   string   `json:"type"`             // "http", "apiKey", "oauth2", "openIdConnect"
	Scheme string   `json:"scheme,omitempty"` // for http: "bearer", "basic"
	In     string   `json:"in,omitempty"`     // for apiKey: "header", "query" (a cookie cannot be checked)
	Param  string   `json:"param,omitempty"`  // for apiKey: the header or parameter name
	Scopes []string `json:"scopes,omitempty"` // scopes the token must hold
}

// SecurityRequirement is one alternative of an operation's security: every
// scheme in it must pass. An empty one admits anybody (OpenAPI's `{}`).
type SecurityRequirement []SecurityScheme

// OperationSecurity finds what a service's document requires of a request
// with this method and path (the path as the client sent it to the
// gateway). found is false when the document has no such operation or the
// service has no document; reqs empty with found true is a public operation.
type OperationSecurity func(service, method, path string) (reqs []SecurityRequirement, found bool)

// AdmissionView says what the gateway enforces on one service's requests,
// for the portal (which shows it beside each operation and gives try-it the
// fields it needs) and the admin API. It is the service's policy; a route
// with admission keys of its own may differ, and says so in /api/v1/routes.
type AdmissionView struct {
	Service string `json:"service"`
	// FromOpenAPI: each operation's own security requirement is enforced.
	FromOpenAPI bool `json:"from_openapi"`
	// Verifiers are the credential checks configured, in the order they are
	// tried: "jwt", "api_key", "basic", "forward".
	Verifiers    []string `json:"verifiers,omitempty"`
	APIKeyHeader string   `json:"api_key_header,omitempty"`
	APIKeyQuery  string   `json:"api_key_query,omitempty"`
	BasicRealm   string   `json:"basic_realm,omitempty"`
	// Scopes every token must hold, beyond what an operation asks.
	Scopes []string `json:"scopes,omitempty"`
	// RateLimit is "100/s per client_ip" (", shared"), or "".
	RateLimit   string   `json:"rate_limit,omitempty"`
	IPAllow     []string `json:"ip_allow,omitempty"`
	IPDeny      []string `json:"ip_deny,omitempty"`
	CORSOrigins []string `json:"cors_origins,omitempty"`
}

// Enforced reports whether the view asks anything of a caller.
func (v AdmissionView) Enforced() bool {
	return v.FromOpenAPI || len(v.Verifiers) > 0 || v.RateLimit != "" || len(v.IPAllow) > 0 || len(v.IPDeny) > 0
}

// Admission is what the gateway enforces on a service's requests; false
// when no route sends traffic to it.
func (g *Gateway) Admission(service string) (AdmissionView, bool) {
	s := g.state.Load().service(service)
	if s == nil {
		return AdmissionView{}, false
	}
	return admissionView(service, &s.policy), true
}

// admissionView reads the admission keys of a resolved policy.
func admissionView(service string, p *policies.Policy) AdmissionView {
	v := AdmissionView{Service: service, FromOpenAPI: authFromOpenAPI.Of(p)}
	if jwksURL.Of(p) != "" {
		v.Verifiers = append(v.Verifiers, "jwt")
	}
	if apiKeysEnabled.Of(p) {
		v.Verifiers = append(v.Verifiers, "api_key")
		v.APIKeyHeader, v.APIKeyQuery = apiKeyHeader.Of(p), apiKeyQuery.Of(p)
	}
	if basicEnabled.Of(p) {
		v.Verifiers = append(v.Verifiers, "basic")
		v.BasicRealm = basicRealm.Of(p)
	}
	if forwardURL.Of(p) != "" {
		v.Verifiers = append(v.Verifiers, "forward")
	}
	v.Scopes = authScopes.Of(p).Items()
	if r := limitRate.Of(p); r.N > 0 {
		v.RateLimit = r.String() + " per " + limitKey.Of(p)
		if limitShared.Of(p) {
			v.RateLimit += ", shared"
		}
	}
	v.IPAllow, v.IPDeny = ipAllow.Of(p).Items(), ipDeny.Of(p).Items()
	v.CORSOrigins = corsOrigins.Of(p).Items()
	return v
}

// The admission keys, read through their handles (policies.ValueOf).
var (
	corsOrigins     = policies.ValueOf[policies.List]("cors.origins")
	corsMethods     = policies.ValueOf[policies.List]("cors.methods")
	corsHeaders     = policies.ValueOf[policies.List]("cors.headers")
	corsExpose      = policies.ValueOf[policies.List]("cors.expose_headers")
	corsCredentials = policies.ValueOf[bool]("cors.credentials")
	corsMaxAge      = policies.ValueOf[time.Duration]("cors.max_age")

	ipAllow = policies.ValueOf[policies.List]("ip.allow")
	ipDeny  = policies.ValueOf[policies.List]("ip.deny")

	jwksURL          = policies.ValueOf[string]("auth.jwt.jwks_url")
	jwtIssuer        = policies.ValueOf[string]("auth.jwt.issuer")
	jwtAudiences     = policies.ValueOf[policies.List]("auth.jwt.audiences")
	jwtAlgorithms    = policies.ValueOf[policies.List]("auth.jwt.algorithms")
	jwtClockSkew     = policies.ValueOf[time.Duration]("auth.jwt.clock_skew")
	jwtConsumerClaim = policies.ValueOf[string]("auth.jwt.consumer_claim")
	apiKeysEnabled   = policies.ValueOf[bool]("auth.api_keys.enabled")
	apiKeyHeader     = policies.ValueOf[string]("auth.api_keys.header")
	apiKeyQuery      = policies.ValueOf[string]("auth.api_keys.query")
	basicEnabled     = policies.ValueOf[bool]("auth.basic.enabled")
	basicRealm       = policies.ValueOf[string]("auth.basic.realm")
	forwardURL       = policies.ValueOf[string]("auth.forward.url")
	forwardRequest   = policies.ValueOf[policies.List]("auth.forward.request_headers")
	forwardResponse  = policies.ValueOf[policies.List]("auth.forward.response_headers")
	forwardTimeout   = policies.ValueOf[time.Duration]("auth.forward.timeout")
	authFromOpenAPI  = policies.ValueOf[bool]("auth.from_openapi")
	authScopes       = policies.ValueOf[policies.List]("auth.scopes")
	consumerHeader   = policies.ValueOf[string]("auth.consumer_header")
	keepCredential   = policies.ValueOf[bool]("auth.keep_credential")

	limitRate   = policies.ValueOf[policies.Rate]("rate_limit.rate")
	limitBurst  = policies.ValueOf[int]("rate_limit.burst")
	limitKey    = policies.ValueOf[string]("rate_limit.key")
	limitShared = policies.ValueOf[bool]("rate_limit.shared")
)

// authOn reports whether a policy asks for any authentication.
func authOn(p *policies.Policy) bool {
	return authFromOpenAPI.Of(p) || jwksURL.Of(p) != "" || apiKeysEnabled.Of(p) || basicEnabled.Of(p) || forwardURL.Of(p) != ""
}
