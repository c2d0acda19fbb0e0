package discovery

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/consul/api"
)

// serviceNames is Consul's service list (/v1/catalog/services) read for its
// names alone. The tags beside each name come again in the service's own
// health answer, which is what routing reads. A registration or
// deregistration makes Consul send the whole list, and at a thousand
// services reading it was the largest part of bulwark's CPU per change:
// consul/api decodes it with encoding/json (the answer scanned twice, then a
// thousand tag slices built). listServices asks for it as consul/api would
// and parseServiceNames reads it in one strict pass.
type serviceNames map[string]bool

// maxServiceList bounds the answer read: a million services' names.
const maxServiceList = 64 << 20

// listServices is Catalog().Services for names only: the same URL, query
// parameters and token consul/api builds from the client's Config (which
// api.NewClient has completed: scheme, address, path prefix, token file),
// sent with the client's own HTTP client.
func (c *Consul) listServices(opts *api.QueryOptions) (serviceNames, *api.QueryMeta, error) {
	ac := c.apiConfig
	q := url.Values{}
	for k, v := range map[string]string{"dc": ac.Datacenter, "ns": ac.Namespace, "partition": ac.Partition} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if opts.Datacenter != "" {
		q.Set("dc", opts.Datacenter)
	}
	if opts.WaitIndex != 0 {
		q.Set("index", strconv.FormatUint(opts.WaitIndex, 10))
	}
	if opts.WaitTime != 0 {
		q.Set("wait", strconv.FormatInt(max(int64(opts.WaitTime/time.Millisecond), 1), 10)+"ms")
	}
	u := url.URL{Scheme: ac.Scheme, Host: ac.Address, Path: ac.PathPrefix + "/v1/catalog/services", RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(opts.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	if ac.Token != "" {
		req.Header.Set("X-Consul-Token", ac.Token)
	}
	resp, err := ac.HttpClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, nil, api.StatusError{Code: resp.StatusCode, Body: string(b)}
	}
	meta := &api.QueryMeta{}
	if s := resp.Header.Get("X-Consul-Index"); s != "" {
		if meta.LastIndex, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, nil, fmt.Errorf("consul: X-Consul-Index %q: %w", s, err)
		}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxServiceList+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > maxServiceList {
		return nil, nil, errors.New("consul: the service list is larger than 64 MiB")
	}
	names, err := parseServiceNames(b)
	return names, meta, err
}

// parseServiceNames reads {"name": ["tag", ...] or null, ...} strictly:
// anything else, HTML or a truncated answer included, is an error that
// says where it went wrong.
func parseServiceNames(b []byte) (serviceNames, error) {
	p := &listParser{b: b}
	out := serviceNames{}
	if !p.byte('{') {
		return nil, p.fail("an object")
	}
	for first := true; !p.byte('}'); first = false {
		if !first && !p.byte(',') {
			return nil, p.fail(`"," or "}"`)
		}
		name, ok := p.str()
		if !ok {
			return nil, p.fail("a service name")
		}
		if !p.byte(':') {
			return nil, p.fail(`":"`)
		}
		if !p.tags() {
			return nil, p.fail("a list of tags")
		}
		out[name] = true
	}
	if p.space(); p.i != len(b) {
		return nil, p.fail("the end of the answer")
	}
	return out, nil
}

type listParser struct {
	b []byte
	i int
}

func (p *listParser) fail(want string) error {
	return fmt.Errorf("consul: the service list is not JSON of the expected shape: want %s at byte %d of %d", want, p.i, len(p.b))
}

func (p *listParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

// byte consumes c after any space.
func (p *listParser) byte(c byte) bool {
	if p.space(); p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// tags consumes null or an array of strings.
func (p *listParser) tags() bool {
	if p.space(); len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	if !p.byte('[') {
		return false
	}
	for first := true; !p.byte(']'); first = false {
		if !first && !p.byte(',') {
			return false
		}
		if _, ok := p.str(); !ok {
			return false
		}
	}
	return true
}

// str consumes a JSON string and returns its value; a string with escapes
// (rare in Consul's names and tags) is decoded by encoding/json.
func (p *listParser) str() (string, bool) {
	if !p.byte('"') {
		return "", false
	}
	start, escaped := p.i-1, false
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			if !escaped {
				return string(p.b[start+1 : p.i-1]), true
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return "", false
		default:
			p.i++
		}
	}
	return "", false
}
