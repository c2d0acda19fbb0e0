package policies

import (
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// admissionKeys declare who may call a route, how often and from where: the
// keys of the cors, ip, auth and rate_limit stages, all off by default. They
// are declared with value, since the stages read them once per state to build
// what they check with (a CIDR set, a verifier), never per request.
//
// Keys that name an address the gateway would call (a JWKS URL, a forward
// auth service) may not come from a label: a service's team may tighten or
// tune its own admission, but a label must never make the gateway reach an
// address the operator did not write.
var admissionKeys = []Key{
	{Name: "cors.origins", Kind: Strings, Labels: true, Route: true, text: textRule{"origins: `https://host[:port]`, one `*` in the host, or `*`", validOrigin},
		Doc:   "browser origins allowed to call the route (`https://app.example.com`, `https://*.example.com`, or `*`); setting any turns CORS on, and the gateway answers preflights itself",
		field: value(List{})},
	{Name: "cors.methods", Kind: Strings, Labels: true, Route: true, text: textRule{"HTTP tokens", validToken},
		Doc:   "methods a cross-origin request may use",
		field: value(ListOf("GET", "HEAD", "POST"))},
	{Name: "cors.headers", Kind: Strings, Labels: true, Route: true, text: textRule{"header names or `*`", validHeaderOrStar},
		Doc:   "request headers a cross-origin request may send, beyond the CORS-safelisted ones",
		field: value(ListOf("Authorization", "Content-Type"))},
	{Name: "cors.expose_headers", Kind: Strings, Labels: true, Route: true, text: textRule{"HTTP tokens", validToken},
		Doc:   "response headers a page may read",
		field: value(List{})},
	{Name: "cors.credentials", Kind: Bool, Labels: true, Route: true,
		Doc:   "let cross-origin requests carry cookies and `Authorization`; not with origin `*`",
		field: value(false)},
	{Name: "cors.max_age", Kind: Duration, Range: fromTo(0, float64(24*time.Hour), "not sent"), Labels: true, Route: true,
		Doc:   "how long a browser may keep a preflight's answer",
		field: value(10 * time.Minute)},

	{Name: "ip.allow", Kind: Strings, Labels: true, Route: true, text: textRule{"CIDRs or addresses", validCIDR},
		Doc:   "only clients in these CIDRs (or addresses) may call; empty allows every address. The client is the peer, or the first untrusted address of `X-Forwarded-For` from a trusted proxy",
		field: value(List{})},
	{Name: "ip.deny", Kind: Strings, Labels: true, Route: true, text: textRule{"CIDRs or addresses", validCIDR},
		Doc:   "clients in these CIDRs are refused `403`, even when `ip.allow` lists them",
		field: value(List{})},

	{Name: "auth.jwt.jwks_url", Kind: Text, Route: true, text: textRule{"an `http` or `https` URL", validURL},
		Doc:   "accept `Authorization: Bearer` JSON Web Tokens signed by a key of this JWKS; the only address keys are fetched from (not from a label)",
		field: value("")},
	{Name: "auth.jwt.issuer", Kind: Text, Labels: true, Route: true,
		Doc:   "a token's `iss` must be this; empty does not check it",
		field: value("")},
	{Name: "auth.jwt.audiences", Kind: Strings, Labels: true, Route: true,
		Doc:   "a token's `aud` must hold one of these; empty does not check it",
		field: value(List{})},
	{Name: "auth.jwt.algorithms", Kind: Strings, Labels: true, Route: true, text: textRule{"`RS256`, `RS384`, `RS512`, `PS256`, `PS384`, `PS512`, `ES256`, `ES384`, `ES512`, `EdDSA`", validJWTAlgorithm},
		Doc:   "signature algorithms accepted; never `none`, never HMAC (a JWKS holds public keys)",
		field: value(ListOf("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"))},
	{Name: "auth.jwt.clock_skew", Kind: Duration, Range: fromTo(0, float64(5*time.Minute), ""), Labels: true, Route: true,
		Doc:   "leeway for `exp` and `nbf` between the issuer's clock and the gateway's",
		field: value(30 * time.Second)},
	{Name: "auth.jwt.consumer_claim", Kind: Text, Labels: true, Route: true, text: textRule{"a claim name", validClaim},
		Doc:   "the claim that names the consumer",
		field: value("sub")},
	{Name: "auth.api_keys.enabled", Kind: Bool, Labels: true, Route: true,
		Doc:   "accept the API keys of `consumers:`, sent in `auth.api_keys.header` or `auth.api_keys.query`",
		field: value(false)},
	{Name: "auth.api_keys.header", Kind: Text, Labels: true, Route: true, text: textRule{"header names", validHeaderName},
		Doc:   "the request header that carries an API key",
		field: value("X-Api-Key")},
	{Name: "auth.api_keys.query", Kind: Text, Labels: true, Route: true, text: textRule{"a query parameter name", validQueryName},
		Doc:   "a query parameter that may carry an API key instead; empty accepts none",
		field: value("")},
	{Name: "auth.basic.enabled", Kind: Bool, Labels: true, Route: true,
		Doc:   "accept HTTP basic authentication with the passwords (bcrypt or argon2id hashes) of `consumers:`",
		field: value(false)},
	{Name: "auth.basic.realm", Kind: Text, Labels: true, Route: true, text: textRule{"text without quotes", validRealm},
		Doc:   "the realm of the basic challenge",
		field: value("bulwark")},
	{Name: "auth.forward.url", Kind: Text, Route: true, text: textRule{"an `http` or `https` URL", validURL},
		Doc:   "ask this service about each request, as Traefik's ForwardAuth does: a `2xx` admits it, any other answer goes back to the client with its challenge, redirect or cookie (not from a label)",
		field: value("")},
	{Name: "auth.forward.request_headers", Kind: Strings, Labels: true, Route: true, text: textRule{"header names", validHeaderName},
		Doc:   "the client's headers sent to the forward auth service",
		field: value(ListOf("Authorization", "Cookie"))},
	{Name: "auth.forward.response_headers", Kind: Strings, Labels: true, Route: true, text: textRule{"header names", validHeaderName},
		Doc:   "the forward auth service's response headers passed upstream; a client's own are always removed first",
		field: value(List{})},
	{Name: "auth.forward.timeout", Kind: Duration, Range: positive(), Labels: true, Route: true,
		Doc:   "how long the forward auth service may take before the request is refused `503`",
		field: value(5 * time.Second)},
	{Name: "auth.from_openapi", Kind: Bool, Labels: true, Route: true,
		Doc:   "enforce each operation's `security` requirement from the service's own OpenAPI document with the verifiers configured here; `security: []` is public",
		field: value(false)},
	{Name: "auth.scopes", Kind: Strings, Labels: true, Route: true, text: textRule{"scopes", validScope},
		Doc:   "scopes a token must hold (its `scope` or `scp` claim) for every request of the route",
		field: value(List{})},
	{Name: "auth.consumer_header", Kind: Text, Labels: true, Route: true, text: textRule{"header names", validHeaderName},
		Doc:   "the header that tells the upstream who the consumer is; a client's own is always removed first",
		field: value("X-Consumer")},
	{Name: "auth.keep_credential", Kind: Bool, Labels: true, Route: true,
		Doc:   "pass the credential that admitted a request upstream; by default it is removed",
		field: value(false)},

	{Name: "rate_limit.rate", Kind: PerTime, Labels: true, Route: true,
		Doc:   "requests allowed per key (`100/s`, `6000/m`); more are refused `429` with `Retry-After` and `RateLimit` headers. Empty is no limit",
		field: value(Rate{})},
	{Name: "rate_limit.burst", Kind: Int, Range: notNegative("the rate's count"), Labels: true, Route: true,
		Doc:   "requests allowed at once after a quiet spell",
		field: value(0)},
	{Name: "rate_limit.key", Kind: Text, Labels: true, Route: true, text: textRule{"`client_ip`, `consumer`, `route` or `header:NAME`", validLimitKey},
		Doc:   "what a limit counts: `client_ip`, `consumer` (each consumer its own, with its `rate_limit` from `consumers:`), `route` (every caller together) or `header:NAME`",
		field: value("client_ip")},
	{Name: "rate_limit.shared", Kind: Bool, Labels: true, Route: true,
		Doc:   "count in the Redis of `redis:`, so several gateways hold one limit; when Redis fails each gateway counts alone (logged and counted)",
		field: value(false)},
}

// textRule is what a Text or Strings key takes: its form, in words, for the
// docs table, and check, which says what is wrong with one string ("" when
// nothing is).
type textRule struct {
	form  string
	check func(string) string
}

// contractKeys hold traffic to each service's own OpenAPI document: the
// validate stage (requests, report or enforce) and a sampled check of
// responses, report only.
var contractKeys = []Key{
	{Name: "validate.requests", Kind: Choice, Values: []string{"off", "report", "enforce"}, Labels: true, Route: true,
		Doc:   "check each request against its operation in the service's OpenAPI document: `report` counts and logs what disagrees and lets it through, `enforce` answers `400` (or `404`, `405`, `413`, `415`) with every error as a JSON Pointer before any upstream is asked",
		field: value("off")},
	{Name: "validate.responses", Kind: Choice, Values: []string{"off", "report"}, Labels: true, Route: true,
		Doc:   "check a sample of responses against the document (status declared, content type, body schema) off the request's path, and show where they disagree on the portal and the admin API",
		field: value("off")},
	{Name: "validate.sample", Kind: Share, Range: fromTo(0, 1, ""), Labels: true, Route: true,
		Doc:   "the share of responses `validate.responses` checks",
		field: value(0.01)},
	{Name: "validate.max_body_bytes", Kind: Bytes, Range: positive(), Labels: true, Route: true, labelMax: 64 << 20,
		Doc:   "the largest body validated; a larger request body is refused `413` under `enforce` and passed unchecked under `report`, a larger response body is not checked",
		field: value(int64(1 << 20))},
}

// rules check what no key can check alone; Validate runs them on a resolved
// policy, so a route or label that completes a bad pair is caught too.
var rules = []func(p *Policy) error{
	func(p *Policy) error {
		origins := ValueOf[List]("cors.origins").Of(p).Items()
		if ValueOf[bool]("cors.credentials").Of(p) && slices.Contains(origins, "*") {
			return errors.New("cors.credentials cannot go with cors.origins *: browsers refuse it; list the origins")
		}
		return nil
	},
}

func validOrigin(s string) string {
	if s == "*" {
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "an origin is scheme://host[:port], such as https://app.example.com"
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "an origin has no path, query or user"
	case strings.Count(s, "*") > 1:
		return "an origin may hold one * at most"
	}
	return ""
}

func validToken(s string) string {
	if !httpguts.ValidHeaderFieldName(s) {
		return "not an HTTP token"
	}
	return ""
}

func validHeaderName(s string) string {
	if !httpguts.ValidHeaderFieldName(s) {
		return "not a header name"
	}
	return ""
}

func validHeaderOrStar(s string) string {
	if s == "*" {
		return ""
	}
	return validHeaderName(s)
}

func validQueryName(s string) string {
	if strings.ContainsAny(s, "&=#?% ") {
		return "a query parameter name has no & = # ? % or space"
	}
	return ""
}

func validCIDR(s string) string {
	if _, err := netip.ParsePrefix(s); err == nil {
		return ""
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return ""
	}
	return "not a CIDR (10.0.0.0/8, 2001:db8::/32) or an address"
}

func validURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "want an absolute http or https URL without user information"
	}
	return ""
}

// jwtAlgorithms are the asymmetric JWS algorithms (RFC 7518, RFC 8037) a
// JWKS of public keys can verify.
var jwtAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func validJWTAlgorithm(s string) string {
	switch {
	case slices.Contains(jwtAlgorithms, s):
		return ""
	case strings.EqualFold(s, "none"):
		return "an unsigned token proves nothing"
	case strings.HasPrefix(strings.ToUpper(s), "HS"):
		return "HMAC needs a shared secret, and a JWKS holds public keys: accepting it invites algorithm confusion"
	}
	return "want one of " + strings.Join(jwtAlgorithms, ", ")
}

func validClaim(s string) string {
	if strings.TrimSpace(s) != s || s == "" {
		return "a claim name has no spaces around it"
	}
	return ""
}

func validRealm(s string) string {
	if strings.ContainsAny(s, "\"\\") || !httpguts.ValidHeaderFieldValue(s) {
		return "a realm has no quote, backslash or control character"
	}
	return ""
}

func validScope(s string) string {
	if strings.ContainsAny(s, " \t\"\\") {
		return "a scope has no space, quote or backslash"
	}
	return ""
}

func validLimitKey(s string) string {
	switch s {
	case "client_ip", "consumer", "route":
		return ""
	}
	if name, ok := strings.CutPrefix(s, "header:"); ok && httpguts.ValidHeaderFieldName(name) {
		return ""
	}
	return "want client_ip, consumer, route or header:NAME"
}
