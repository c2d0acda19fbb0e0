package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/consul/api"
)

// healthEntry is one instance in Consul's answer to /v1/health/service/NAME,
// with only the fields routing reads: consul/api's ServiceEntry carries some
// forty more (proxy and Connect settings, tagged addresses, raft indexes,
// check definitions), and decoding them all is what a watch spent its memory
// on. When Consul starts, a thousand answers arrive at once; as ServiceEntry
// values they made about 30 MiB of garbage in a second (decoder buffers
// growing, every field allocated), which the heap's peak, and so the
// gateway's RSS, had to hold (issue 20). The field names are consul/api's, so
// encoding/json reads the same JSON the same way; what it skips it only scans.
type healthEntry struct {
	Node    *healthNode
	Service *healthService
	Checks  []*healthCheck
}

// healthNode is the node an instance runs on.
type healthNode struct {
	Node    string
	Address string
}

// healthService is the service registration of one instance.
type healthService struct {
	ID      string
	Address string
	Port    int
	Tags    []string
	Meta    map[string]string
	Weights healthWeights
}

// healthWeights are an instance's Consul weights; routing reads the passing one.
type healthWeights struct{ Passing int }

// healthCheck is one check of an instance or of its node.
type healthCheck struct {
	CheckID string
	Status  string
}

// serviceHealth is Health().Service(service, "", false, opts) read into
// healthEntry values. As for listServices, the request is consul/api's own
// (Raw().Query builds the same path and query, with the token, auth,
// datacenter and headers of the client's Config), and tapTransport takes the
// answer's body before consul/api would decode it.
//
// It also returns a copy of the request consul/api sent, the template the
// watch's next queries are sent with (repoll); nil if the transport did
// not see it.
func (c *Consul) serviceHealth(service string, opts *api.QueryOptions) ([]*healthEntry, *api.QueryMeta, *http.Request, error) {
	tap := &bodyTap{keepRequest: true}
	q := opts.WithContext(context.WithValue(opts.Context(), bodyTapKey{}, tap))
	var empty struct{}
	meta, err := c.client.Raw().Query("/v1/health/service/"+service, &empty, q)
	if err != nil {
		return nil, nil, nil, err
	}
	entries, err := decodeHealth(service, tap)
	return entries, meta, tap.req, err
}

// decodeHealth reads the answer tap took, in a frame of its own: the query
// above waits with serviceHealth's frame on its stack (see blocking).
//
//go:noinline
func decodeHealth(service string, tap *bodyTap) ([]*healthEntry, error) {
	if tap.body == nil {
		return nil, errors.New("consul: the health answer's body was not captured")
	}
	defer tap.release()
	var entries []*healthEntry
	if err := json.Unmarshal(tap.body, &entries); err != nil {
		return nil, fmt.Errorf("consul: reading the health answer for %s: %w", service, err)
	}
	return entries, nil
}
