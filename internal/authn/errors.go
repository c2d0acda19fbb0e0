package authn

import (
	"errors"
	"net/http"
)

// Reasons are the stable labels of an Error, meant for metrics. They never
// change meaning; new ones may be added.
const (
	ReasonMissing         = "missing"          // no credential was presented
	ReasonMalformed       = "malformed"        // the credential cannot be parsed, or lacks a required part
	ReasonTooLarge        = "too_large"        // the credential is longer than allowed
	ReasonBadSignature    = "bad_signature"    // the signature does not verify
	ReasonUnknownKey      = "unknown_key"      // no key in the key set matches the token's kid
	ReasonAlgorithm       = "algorithm"        // the token's alg is not allowed, or does not fit the key
	ReasonExpired         = "expired"          // exp is in the past
	ReasonNotYetValid     = "not_yet_valid"    // nbf or iat is in the future
	ReasonWrongIssuer     = "wrong_issuer"     // iss is not the configured issuer
	ReasonWrongAudience   = "wrong_audience"   // aud names none of the configured audiences
	ReasonUnknownConsumer = "unknown_consumer" // no consumer owns this API key or user name
	ReasonBadPassword     = "bad_password"     // the user exists but the password is wrong
	ReasonDenied          = "denied"           // an external authority refused the request (for labelling a relayed forward-auth Denial)
	ReasonUnavailable     = "unavailable"      // the verifier cannot decide now (JWKS or auth service down)
	ReasonBusy            = "busy"             // too many password hashes are being computed
)

// Error is a refused credential. Reason is a short stable label for metrics
// (one of the Reason constants), Status the HTTP status to answer with (401,
// 403 or 503), and Detail a human sentence that is safe to show the client:
// it never contains the token, key or password.
type Error struct {
	Reason string
	Status int
	Detail string

	// cause is the underlying error, kept for errors.Is/As and debugging. It
	// may name library internals, so Error() does not print it.
	cause error
}

// Error returns the reason and the detail.
func (e *Error) Error() string {
	return "authn: " + e.Reason + ": " + e.Detail
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.cause }

// refuse builds a 401 Error.
func refuse(reason, detail string, cause error) *Error {
	return &Error{Reason: reason, Status: http.StatusUnauthorized, Detail: detail, cause: cause}
}

// unavailable builds a 503 Error.
func unavailable(reason, detail string, cause error) *Error {
	return &Error{Reason: reason, Status: http.StatusServiceUnavailable, Detail: detail, cause: cause}
}

// ErrConfig is wrapped by every error a constructor returns for a bad
// configuration, so callers can tell configuration from runtime failures.
var ErrConfig = errors.New("invalid authn configuration")
