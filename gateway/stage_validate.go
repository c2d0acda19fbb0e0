package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// validateStage holds a request to its operation in the service's OpenAPI
// document (validate.requests): under report it counts and logs what
// disagrees and lets the request through, under enforce it refuses it
// before any upstream is asked, with every error as a JSON Pointer into
// the request. It comes after admission, so a stranger's garbage is
// refused as a stranger's, and before the cache, so an invalid request is
// refused whether or not an answer is stored.
//
// The body is read here, up to validate.max_body_bytes, and handed to the
// proxy as read (ex.bodyRead), so the upstream gets the very bytes that were
// checked. It also decides whether the response is one of the sampled ones
// validate.responses checks (stage_validate_response.go).
type validateStage struct{ g *Gateway }

func (s validateStage) request(w http.ResponseWriter, r *http.Request, ex *exchange) error {
	p := ex.policy
	mode, responses := validateRequests.Of(p), validateResponses.Of(p) == "report"
	if mode == "off" && !responses {
		return nil
	}
	contracts := ex.state.cfg.Contracts
	if contracts == nil {
		return nil
	}
	svc := ex.route.Service
	c, problem := contracts(svc)
	st := s.g.contracts.of(svc)
	if c == nil {
		st.setProblem(problem)
		return nil
	}
	st.setProblem("")
	st.setNotes(c)
	ex.contract = c
	sampled := responses && rand.Float64() < validateSample.Of(p)
	if mode == "off" {
		if sampled {
			ex.contractOp = c.Request(r, nil).Operation // the operation only
		}
		return nil
	}
	body, tooLarge, err := readBodyToCheck(r, ex, validateMaxBody.Of(p))
	if err != nil {
		return err
	}
	if tooLarge {
		st.unchecked()
		s.g.contractMetrics.requests.WithLabelValues(svc, "unchecked").Inc()
		if mode == "enforce" {
			return writeContractProblem(w, ex, http.StatusRequestEntityTooLarge, []Violation{{Kind: "body", Pointer: "/body",
				Message: "the body is larger than validate.max_body_bytes, " + strconv.FormatInt(validateMaxBody.Of(p), 10) + " bytes, and cannot be checked"}})
		}
		return nil
	}
	res := c.Request(r, body)
	if sampled {
		ex.contractOp = res.Operation
	}
	st.request(r.Method, r.URL.EscapedPath(), res)
	s.g.contractMetrics.request(svc, res)
	if res.Found && len(res.Violations) == 0 {
		return nil
	}
	if mode == "enforce" {
		status := res.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		return writeContractProblem(w, ex, status, res.Violations)
	}
	return nil
}

// readBodyToCheck reads r's body up to max bytes into ex.bodyRead, which the
// proxy sends on; tooLarge says there was more (left in r.Body, after the
// max+1 bytes read). A failure to read is the client's.
func readBodyToCheck(r *http.Request, ex *exchange, max int64) (body []byte, tooLarge bool, err error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil, false, nil
	}
	if r.ContentLength > max {
		return nil, true, nil // not read at all: it streams on as it came
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, false, bodyError(err, r.Context().Err() != nil)
	}
	ex.bodyRead, ex.bodyMore = buf, int64(len(buf)) > max
	if ex.bodyMore {
		return nil, true, nil
	}
	return buf, false, nil
}

// contractProblem is the problem document of a request refused for its
// contract: RFC 9457 with an errors member, one entry per violation.
type contractProblem struct {
	problem
	Errors []Violation `json:"errors"`
}

// writeContractProblem answers the refusal and returns errAnswered.
func writeContractProblem(w http.ResponseWriter, ex *exchange, status int, vs []Violation) error {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Request-Id", ex.requestID)
	if vs == nil {
		vs = []Violation{}
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(contractProblem{
		problem: problem{Type: "about:blank", Title: http.StatusText(status), Status: status,
			Detail: "the request does not match the service's OpenAPI document", Service: ex.route.Service, RequestID: ex.requestID},
		Errors: vs,
	})
	ex.err = errContract
	return errAnswered
}

// errContract marks a request refused for its contract in the access log.
var errContract = errors.New("refused: the request does not match the service's OpenAPI document")
