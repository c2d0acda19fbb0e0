package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/internal/authn"
	"github.com/bulwark-gw/bulwark/policies"
)

// authStage admits a request on a credential its route accepts, and tells
// the upstream who the caller is. What is accepted is the route's policy:
// any configured verifier (a JWT, an API key, a password, a forward auth
// service's yes), or with auth.from_openapi what the operation's own
// security requirement in the service's document names (authPlan.decide).
//
// Before anything is checked, the identity headers the gateway sets
// (auth.consumer_header and the forward service's response headers) are
// removed from the client's request, so no client can name itself. On
// success the credential is removed too, unless auth.keep_credential: the
// upstream trusts the gateway's word, not a token it would have to check
// again. A refusal is 401 with a challenge per accepted scheme, 403 for a
// verified token without the scope asked, 503 when what credentials are
// checked against cannot be reached; a forward auth service's own refusal
// goes back to the client as it answered.
type authStage struct{ g *Gateway }

func (s authStage) request(w http.ResponseWriter, r *http.Request, ex *exchange) error {
	plan := s.g.admission(ex).auth
	if plan == nil {
		return nil
	}
	for _, h := range plan.identityHeaders {
		r.Header.Del(h)
	}
	if of := refreshFrom(r); of != nil {
		// The gateway's own refresh of a stored entry, for a caller this
		// stage admitted: it goes as them (cache_refresh.go).
		ex.identity, ex.consumer, ex.authenticated = of.identity, of.consumer, of.authenticated
		return nil
	}
	v, err := plan.decide(r, ex)
	m := s.g.admitMetrics.auth
	switch {
	case err == nil:
		m.WithLabelValues(ex.route.Service, v.method, "ok", "").Inc()
		plan.admit(r, ex, v)
		s.g.countAdmitted(ex.state, ex.consumer)
		return nil
	case v.denial != nil:
		m.WithLabelValues(ex.route.Service, "forward", "refused", "denied").Inc()
		writeDenial(w, v.denial)
		ex.err = err
		return errAnswered
	}
	var ae *AdmissionError
	result := "refused"
	if errors.As(err, &ae) && errors.Is(err, ErrAuthUnavailable) {
		result = "unavailable"
	}
	reason := ""
	if ae != nil {
		reason = ae.Reason
	}
	m.WithLabelValues(ex.route.Service, v.method, result, reason).Inc()
	if errors.Is(err, ErrUnauthorized) {
		for _, c := range plan.challenges(v.requirements) {
			w.Header().Add("WWW-Authenticate", c)
		}
	}
	if errors.Is(err, ErrForbidden) && ae != nil && ae.Reason == "insufficient_scope" {
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope"`)
	}
	return err
}

// authPlan is one policy's authentication, built once per state.
type authPlan struct {
	fromOpenAPI bool
	security    OperationSecurity
	// The verifiers; a configured one that could not be built (nil with
	// its flag set) refuses with 503 rather than admitting.
	jwt               *authn.JWT
	jwtConfigured     bool
	forward           *authn.Forward
	forwardConfigured bool
	apiKeys           *authn.APIKeys
	apiKeyHeader      string
	apiKeyQuery       string
	basic             *authn.Basic
	basicRealm        string
	// scopes every token must hold.
	scopes          []string
	consumerHeader  string
	identityHeaders []string // removed from every request first
	keepCredential  bool
}

func newAuthPlan(p *policies.Policy) *authPlan {
	plan := &authPlan{
		fromOpenAPI:    authFromOpenAPI.Of(p),
		apiKeyHeader:   apiKeyHeader.Of(p),
		apiKeyQuery:    apiKeyQuery.Of(p),
		basicRealm:     basicRealm.Of(p),
		scopes:         authScopes.Of(p).Items(),
		consumerHeader: consumerHeader.Of(p),
		keepCredential: keepCredential.Of(p),
	}
	plan.identityHeaders = append([]string{plan.consumerHeader}, forwardResponse.Of(p).Items()...)
	return plan
}

// verdict is what decide found: the verifier that decided ("none" when no
// credential was sent), the identity it proved, the credential places to clear,
// a forward service's refusal to relay, and the requirements a challenge
// should name.
type verdict struct {
	method       string
	id           authn.Identity
	slots        []credential // every place this route takes a credential
	denial       *authn.Denial
	requirements []SecurityRequirement
}

// admit notes what the upstream is to be told, and removes the credentials
// used. The identity headers are set on the outbound request by the proxy's
// rewrite (proxy.go), after the hop-by-hop headers are gone: set here, on
// the inbound request, a client's "Connection: X-Consumer" would have the
// proxy remove them again.
func (p *authPlan) admit(r *http.Request, ex *exchange, v verdict) {
	ex.authenticated = v.method != "public"
	ex.consumer = v.id.Consumer
	if v.id.Consumer != "" && p.consumerHeader != "" {
		ex.identity = http.Header{http.CanonicalHeaderKey(p.consumerHeader): {v.id.Consumer}}
	}
	for name, vals := range v.id.Header {
		if ex.identity == nil {
			ex.identity = http.Header{}
		}
		ex.identity[http.CanonicalHeaderKey(name)] = slices.Clone(vals)
	}
	if p.keepCredential {
		return
	}
	for _, c := range v.slots {
		c.remove(r)
	}
}

// challenges are the WWW-Authenticate values of a 401: one per scheme the
// request could have used (RFC 9110 §11.6.1), and never none, since a 401
// must carry one. A scheme the gateway cannot check (a cookie API key) is
// named as the document names it: the client learns what is asked, and the
// gateway still refuses it.
func (p *authPlan) challenges(reqs []SecurityRequirement) []string {
	if reqs == nil {
		reqs = p.implied()
	}
	var out []string
	add := func(c string) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, alt := range reqs {
		for _, s := range alt {
			switch {
			case schemeVerifier(s) == "jwt":
				add(`Bearer realm="bulwark"`)
			case schemeVerifier(s) == "basic":
				add(`Basic realm="` + p.basicRealm + `", charset="UTF-8"`)
			case s.Type == "apiKey" && s.In != "" && s.Param != "":
				add(`ApiKey ` + s.In + `="` + strings.ReplaceAll(s.Param, `"`, "") + `"`)
			}
		}
	}
	if len(out) == 0 {
		add(`Bearer realm="bulwark"`)
	}
	return out
}

// writeDenial relays a forward auth service's refusal, as it answered.
func writeDenial(w http.ResponseWriter, d *authn.Denial) {
	for name, vals := range d.Header {
		w.Header()[name] = slices.Clone(vals)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(d.Status)
	_, _ = w.Write(d.Body)
}

// credential is one credential in a request, to remove once it admitted it.
type credential struct {
	header string // a header to delete
	query  string // or a query parameter
}

// remove deletes the credential. A query parameter is cut out of the raw
// query with every other parameter left byte for byte as the client sent
// it: re-encoding the query would change what the upstream reads.
func (c credential) remove(r *http.Request) {
	if c.header != "" {
		r.Header.Del(c.header)
		return
	}
	kept := make([]string, 0, 4)
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && n == c.query {
			continue
		}
		kept = append(kept, part)
	}
	r.URL.RawQuery = strings.Join(kept, "&")
}

// bearer is the token of "Authorization: Bearer TOKEN", or "".
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
