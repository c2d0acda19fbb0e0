package gateway

import (
	"errors"
	"net/http"
)

// The request path is an ordered chain of stages, each one small type in a
// file of its own (stage_*.go). A request passes the request stages in order;
// the first that refuses or answers it ends the walk. A request no stage
// stopped goes upstream through the guard stage, which ends the chain as
// Envoy's router filter ends its filter chain. The upstream's response passes the response stages
// when its headers arrive, before any of it reaches the client. Record
// (record.go) closes every request, refused, answered or panicking: ServeHTTP
// defers it, so no stage can skip it.
//
// The stages are the same for every route. A stage that is set per route or
// per service reads its setting from the exchange (ex.route, ex.svc.policy)
// and passes when it is off, as Envoy's filters read their per-route config;
// whatever it needs prepared is built with the state, on the route or service
// value. So the chain is built once, with the gateway, and costs a request
// nothing but the calls.

// requestStage is one step of a request on its way upstream. It returns nil
// to pass the request on, or an error to refuse it: the chain then answers
// with ErrorStatus(err) as problem+json, and no later stage runs. A stage
// that answers the request itself (a cache hit) writes the answer to w and
// returns errAnswered. Headers a refusal needs (Allow, Retry-After) are set
// on w before returning the error.
type requestStage interface {
	request(w http.ResponseWriter, r *http.Request, ex *exchange) error
}

// responseStage is one step of the upstream's response, run from
// ReverseProxy's ModifyResponse once its headers arrived: it may change the
// headers and wrap the body. An error stops the later stages and goes to the
// proxy's error handler, which answers 502 in place of the response.
type responseStage interface {
	response(res *http.Response, ex *exchange) error
}

// errAnswered is returned by a request stage that has answered the request
// itself. Like fs.SkipAll it is a signal, not a failure: the request is
// recorded with the stage's answer and no error.
var errAnswered = errors.New("answered by a request stage")

// chain is the gateway's stages in order, built once by newChain.
type chain struct {
	request []requestStage
	// upstream is the last request stage: the request passed every other
	// one and goes to an instance.
	upstream *guardStage
	response []responseStage
}

// newChain lists the stages in the order a request meets them. Adding a stage
// is its file and one line here. docs/architecture.md says why each stage is
// where it is; TestTheDocsListTheStagesInOrder holds the two lists together.
func newChain(g *Gateway) *chain {
	return &chain{
		request: []requestStage{
			sanitizeStage{},   // nothing that could be read two ways is routed
			matchStage{},      // the route, with every setting later stages read
			upgradeStage{},    // only WebSocket, only where the route allows it
			serviceStage{},    // the route's service, whose policy later stages read
			corsStage{g},      // preflights answered; Access-Control-* on the rest
			ipStage{g},        // ip.allow / ip.deny on the real client address
			authStage{g},      // a credential the route accepts; who the caller is
			ratelimitStage{g}, // the caller's count; 429 when it is spent
			validateStage{g},  // the request against its operation in the document
			cacheStage{g},     // a stored response answers, or the miss is coalesced
		},
		upstream: &guardStage{metrics: g.metrics, proxy: g.proxy},
		response: []responseStage{
			validateResponseStage{g}, // a sample of responses against the document, off the path
			corsStage{g},             // the upstream's Access-Control-* give way to the gateway's
			cacheStoreStage{g},       // keep, freshen or stand in; Cache-Status
			traceStage{},             // X-Request-Id and Server-Timing, as the record sees them
		},
	}
}

// serve walks a request through the request stages and, when none stopped
// it, to the upstream.
func (c *chain) serve(w http.ResponseWriter, r *http.Request, ex *exchange) {
	for _, s := range c.request {
		if err := s.request(w, r, ex); err != nil {
			if err != errAnswered { //nolint:errorlint // a signal, never wrapped
				refuse(w, ex, err)
			}
			return
		}
	}
	c.upstream.serve(w, r, ex)
}

// respond runs the response stages on the upstream's response.
func (c *chain) respond(res *http.Response, ex *exchange) error {
	for _, s := range c.response {
		if err := s.response(res, ex); err != nil {
			return err
		}
	}
	return nil
}
