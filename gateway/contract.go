package gateway

import (
	"net/http"

	"github.com/bulwark-gw/bulwark/policies"
)

// The contract: traffic held to each service's own OpenAPI document. The
// documents and their validators live in the catalog and package openapi,
// which the gateway does not import; cmd hands the gateway each service's
// Contract through Config.Contracts, in the gateway's own types.

// Contract validates one service's traffic against its document. Its
// methods are safe for concurrent use and cheap: the validator is built
// once per document version, never per request.
type Contract interface {
	// Request checks r, whose body (up to validate.max_body_bytes) is
	// given read.
	Request(r *http.Request, body []byte) ContractResult
	// Response checks a response of the operation Request found.
	Response(op string, status int, header http.Header, body []byte) []Violation
	// Notes say what the document has that is not checked (OpenAPI 3.1
	// keywords the validator does not know), for the admin API.
	Notes() []string
}

// ContractResult is what a request's check found.
type ContractResult struct {
	// Found: an operation of the document matches the method and path.
	Found bool
	// Operation names it (its slug), Template is its path template.
	Operation, Template string
	Violations          []Violation
	// Status is the truthful refusal when enforcing: 400, 404 (no such
	// path), 405 (no such method on it), 415 (content type).
	Status int
}

// Violation is one way a message disagrees with its document.
type Violation struct {
	// Kind: path, query, header, cookie, body, content_type, security,
	// status.
	Kind string `json:"kind"`
	// Pointer is an RFC 6901 JSON Pointer into the message:
	// "/query/limit", "/body/items/0/name".
	Pointer string `json:"pointer,omitempty"`
	// Message says what is wrong, never with a header's or cookie's value.
	Message string `json:"message"`
}

// Contracts finds a service's contract: nil and "" when the service has no
// document; nil and the reason when its document cannot be compiled for
// validation (validation is then off for it, and the reason shown).
type Contracts func(service string) (c Contract, problem string)

// The validate keys, read through their handles.
var (
	validateRequests  = policies.ValueOf[string]("validate.requests")
	validateResponses = policies.ValueOf[string]("validate.responses")
	validateSample    = policies.ValueOf[float64]("validate.sample")
	validateMaxBody   = policies.ValueOf[int64]("validate.max_body_bytes")
)
