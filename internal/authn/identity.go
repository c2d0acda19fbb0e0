package authn

import "net/http"

// Methods name how an Identity was proven; they are the values of Identity.Method.
const (
	MethodJWT     = "jwt"
	MethodAPIKey  = "api_key"
	MethodBasic   = "basic"
	MethodForward = "forward"
)

// Identity is who a credential proves the caller to be.
type Identity struct {
	// Consumer is the consumer name. For an API key or basic auth it is the
	// consumer that owns the credential; for a JWT the value of the configured
	// claim (default "sub"); for forward auth "" unless the auth service sent
	// the configured consumer header.
	Consumer string
	// Method is one of the Method constants.
	Method string
	// Scopes are the JWT's scopes, from "scope" (a space-separated string) or
	// "scp" (a string or an array of strings). Nil for other methods.
	Scopes []string
	// Header holds, for forward auth, the auth service's response headers
	// chosen to go upstream. Nil for other methods.
	Header http.Header
}
