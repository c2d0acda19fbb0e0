package discovery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/hashicorp/consul/api"
)

// The service list (/v1/catalog/services) is read for its names alone. The
// tags beside each name come again in the service's own health answer,
// which is what routing reads. A registration or deregistration makes
// Consul send the whole list, and at a thousand services reading it was the
// largest part of bulwark's CPU per change: consul/api decodes it with
// encoding/json (the answer scanned twice, then a thousand tag slices
// built). listServices asks for it through consul/api, scanServiceNames
// reads it in one strict pass, and catalog keeps only what changed.

// maxServiceList bounds the answer read: a million services' names.
const maxServiceList = 64 << 20

// listServices is Catalog().Services for names only, read into cat: it
// returns the names the answer adds to and removes from cat, or none when
// the answer's index is index (the wait ended without a change). The
// request is consul/api's own (Raw().Query): the address, scheme and path
// prefix, the ACL token, HTTP basic auth (CONSUL_HTTP_AUTH), namespace,
// partition, datacenter, extra headers and TLS all come from the client's
// Config exactly as for every other query. A request built by hand here
// once forgot the basic auth, so with CONSUL_HTTP_AUTH set the list was
// refused while health queries worked. Only the answer's body is taken
// before consul/api decodes it: bodyTap, on the client's transport, reads
// it for this request and hands consul/api an empty object instead.
func (c *Consul) listServices(opts *api.QueryOptions, index uint64, cat *catalog) (added, removed []string, _ *api.QueryMeta, _ error) {
	tap := &bodyTap{own: &cat.buf}
	q := opts.WithContext(context.WithValue(opts.Context(), bodyTapKey{}, tap))
	var empty struct{}
	meta, err := c.client.Raw().Query("/v1/catalog/services", &empty, q)
	if err != nil {
		return nil, nil, nil, err
	}
	if tap.body == nil {
		return nil, nil, nil, errors.New("consul: the service list's body was not captured")
	}
	defer tap.release()
	if meta.LastIndex == index {
		return nil, nil, meta, nil
	}
	added, removed, err = cat.read(tap.body)
	return added, removed, meta, err
}

// bodyTapKey marks, in a request's context, the request whose answer
// tapTransport keeps.
type bodyTapKey struct{}

// bodyTap receives the body of a successful answer, read into a pooled
// buffer: answers come one after another on each watch, and a buffer grown
// for one serves the next (io.ReadAll would grow a new one from 512 bytes
// each time, twice the answer in garbage).
type bodyTap struct {
	body []byte
	buf  *bytes.Buffer
	// own, when set, is the buffer to read into instead of a pooled one:
	// the catalog watch's, whose list is the largest answer and would
	// otherwise grow a pooled buffer from nothing after each GC empties
	// the pool (about 128 KiB of garbage per list at 1,000 services).
	own *bytes.Buffer
	// keepRequest asks for a copy of the request in req (repoll's template).
	keepRequest bool
	req         *http.Request
}

// tapBuffers holds the buffers answers are read into.
var tapBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledTap is the largest buffer kept for reuse: a rare huge service
// list is not held for every watch after it.
const maxPooledTap = 256 << 10

// release gives the body's buffer back; the body must not be used after.
func (t *bodyTap) release() {
	if t.buf != nil && t.buf != t.own && t.buf.Cap() <= maxPooledTap {
		tapBuffers.Put(t.buf)
	}
	t.body, t.buf = nil, nil
}

// take reads an answer's body (at most maxServiceList) into a pooled
// buffer, and closes it.
func (t *bodyTap) take(body io.ReadCloser) error {
	defer body.Close()
	buf := t.own
	if buf == nil {
		buf = tapBuffers.Get().(*bytes.Buffer)
	}
	buf.Reset()
	_, err := buf.ReadFrom(io.LimitReader(body, maxServiceList+1))
	switch {
	case err != nil:
		if buf != t.own {
			tapBuffers.Put(buf)
		}
		return err
	case buf.Len() > maxServiceList:
		if buf == t.own {
			*buf = bytes.Buffer{} // not 64 MiB held for the next answer
		}
		return errors.New("consul: the answer is larger than 64 MiB")
	}
	t.body, t.buf = buf.Bytes(), buf
	return nil
}

// tapTransport wraps the Consul client's transport. For a request whose
// context carries a bodyTap it reads a 200 answer's body (at most
// maxServiceList) into the tap and replaces it with "{}"; any other request
// or answer passes untouched, so consul/api still reports errors its way.
type tapTransport struct{ next http.RoundTripper }

func (t tapTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	tap, _ := req.Context().Value(bodyTapKey{}).(*bodyTap)
	if err != nil || tap == nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	if err := tap.take(resp.Body); err != nil {
		return nil, err
	}
	if tap.keepRequest {
		tap.req = captureRequest(req)
	}
	resp.Body = io.NopCloser(strings.NewReader("{}"))
	resp.ContentLength = 2
	return resp, nil
}

// scanServiceNames reads {"name": ["tag", ...] or null, ...} strictly:
// anything else, HTML or a truncated answer included, is an error that
// says where it went wrong. It appends each name to names as a view of b
// (or, for a name with escapes, of its decoded copy), so a scan of a list
// it has seen before allocates nothing once names has grown to hold it.
// A name listed twice appears twice.
func scanServiceNames(b []byte, names [][]byte) ([][]byte, error) {
	p := &listParser{b: b}
	if !p.byte('{') {
		return names, p.fail("an object")
	}
	for first := true; !p.byte('}'); first = false {
		if !first && !p.byte(',') {
			return names, p.fail(`"," or "}"`)
		}
		name, ok := p.str(true)
		if !ok {
			return names, p.fail("a service name")
		}
		if !p.byte(':') {
			return names, p.fail(`":"`)
		}
		if !p.tags() {
			return names, p.fail("a list of tags")
		}
		names = append(names, name)
	}
	if p.space(); p.i != len(b) {
		return names, p.fail("the end of the answer")
	}
	return names, nil
}

// plain reports a string's contents that need no decoding and hold no byte
// JSON forbids there: ASCII, without escapes or control characters.
func plain(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
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
	if p.null() {
		return true
	}
	if !p.byte('[') {
		return false
	}
	for first := true; !p.byte(']'); first = false {
		if !first && !p.byte(',') {
			return false
		}
		if p.null() { // encoding/json takes a null tag as "": so does this
			continue
		}
		if _, ok := p.str(false); !ok { // checked, not kept: routing reads tags from health answers
			return false
		}
	}
	return true
}

// null consumes a JSON null, after any whitespace.
func (p *listParser) null() bool {
	if p.space(); len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// str consumes a JSON string and returns its value when keep is set (else
// only checks it): a view of the input, or for a string with escapes (rare
// in Consul's names and tags) a copy decoded by encoding/json.
func (p *listParser) str(keep bool) ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start, escaped := p.i-1, false
	// The common string, without escapes, in one scan for its closing
	// quote; anything else takes the byte loop below from the start.
	if j := bytes.IndexByte(p.b[p.i:], '"'); j >= 0 && plain(p.b[p.i:p.i+j]) {
		p.i += j + 1
		if !keep {
			return nil, true
		}
		return p.b[start+1 : p.i-1], true
	}
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			if !escaped {
				if !keep {
					return nil, true
				}
				return p.b[start+1 : p.i-1], true
			}
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return nil, false
			}
			return []byte(s), true
		case c == '\\':
			escaped = true
			p.i += 2
		case c < 0x20:
			return nil, false
		case c >= 0x80:
			// Not ASCII: encoding/json decodes it, so that invalid UTF-8
			// reads as U+FFFD here as it does there.
			escaped = true
			p.i++
		default:
			p.i++
		}
	}
	return nil, false
}
