package gateway

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bulwark-gw/bulwark/internal/httpcache"
)

// cacheStoreStage keeps what the upstream answered a cached request, as
// RFC 9111 allows: a storable response is copied as it streams to the
// client and stored once its body is complete (a body larger than
// cache.max_entry_bytes streams through and is not kept); a 304 to the
// cache's own revalidation freshens the stored entry, and the client gets
// the stored response (or its own 304); a 500, 502, 503 or 504 is replaced
// by the stale entry where stale-if-error or cache.serve_stale_on_error
// allows; and an unsafe method's success invalidates the URI (§4.4). Every
// response of a cached route gets its Cache-Status (RFC 9211).
//
// It runs before traceStage, which stays last, so the request id it adds
// is never stored and replayed to another client.
type cacheStoreStage struct{ g *Gateway }

func (s cacheStoreStage) response(res *http.Response, ex *exchange) error {
	tx := ex.cache
	if tx == nil {
		return nil
	}
	hc, now := tx.cache, time.Now()
	st := httpcache.CacheStatus{Name: cacheName, Fwd: tx.fwd, FwdStatus: res.StatusCode}
	switch {
	case tx.unsafe:
		hc.store.InvalidateAfter(tx.scheme, tx.host, tx.base, tx.req, res)
		tx.finish(nil)
	case tx.bypass:
		tx.finish(nil)
	case tx.revalidating && res.StatusCode == http.StatusNotModified:
		// Every stored variant the 304 selects is freshened (§4.3.4); the
		// client gets the one its request selects. A 304 that selects none
		// (it lacks the validators it should carry) updates nothing, but
		// still answers for the entry it was asked about: the client never
		// sees a 304 it did not ask for.
		e := tx.entry
		if httpcache.Selects304(tx.entry, res, true) {
			hc.store.FreshenStored(tx.key, res, ex.sentAt, now)
			if e, _ = hc.store.Lookup(tx.key, tx.req); e == nil {
				e = httpcache.Freshen(tx.entry, res, ex.sentAt, now) // evicted meanwhile
			}
		}
		tx.finish(e)
		st.HasTTL, st.TTL = true, e.TTL(now)
		replaceResponse(res, tx, e, now)
		s.g.cacheMetrics.result(hc.name, "revalidated")
	case isUpstreamFailure(res.StatusCode) && tx.entry != nil && !tx.refresh && staleMayAnswer(tx, now):
		replaceResponse(res, tx, tx.entry, now)
		st.Detail = "stale-if-error/status"
		hc.store.RecordStaleIfError()
		s.g.cacheMetrics.stale(hc.name, "status")
		s.g.cacheMetrics.result(hc.name, "stale")
		tx.finish(nil)
	default:
		st.Stored = s.keep(res, ex, tx)
		if !tx.refresh {
			s.g.cacheMetrics.result(hc.name, "miss")
		}
	}
	res.Header.Add("Cache-Status", st.String()) // after the upstream's own members (RFC 9211 §2)
	return nil
}

// keep starts copying a storable response's body for the store, and says
// whether it did. A HEAD response freshens a stored GET where it agrees
// with it, and removes it where it does not (RFC 9111 §4.3.5).
func (s cacheStoreStage) keep(res *http.Response, ex *exchange, tx *cacheTx) bool {
	hc := tx.cache
	if tx.req.Method == http.MethodHead {
		if tx.entry != nil && res.StatusCode == http.StatusOK {
			if e, ok := httpcache.FreshenHead(tx.entry, res, ex.sentAt, ex.headers); ok {
				hc.store.Replace(tx.entry, e)
			} else {
				hc.store.Delete(tx.key)
			}
		}
		tx.finish(nil)
		return false
	}
	if ok, _ := httpcache.Storable(tx.req, res, tx.opts); !ok ||
		ex.sent != nil && !httpcache.VaryMatches(res.Header, tx.req.Header, ex.sent) ||
		(res.ContentLength > tx.maxEntry) || res.Body == nil || res.Body == http.NoBody && res.ContentLength != 0 {
		tx.finish(nil)
		return false
	}
	// The response as the upstream sent it, before later stages add to it.
	kept := &http.Response{StatusCode: res.StatusCode, Header: res.Header.Clone(), ContentLength: res.ContentLength}
	sent, received := ex.sentAt, ex.headers
	res.Body = &keepBody{rc: res.Body, limit: tx.maxEntry, done: func(body []byte, complete bool) {
		if !complete || (kept.ContentLength >= 0 && int64(len(body)) != kept.ContentLength) {
			tx.finish(nil)
			return
		}
		e := httpcache.NewEntry(tx.key, tx.req, kept, body, sent, received, tx.opts)
		if hc.store.Put(e) != nil {
			e = nil
		}
		tx.finish(e)
	}}
	return true
}

// keepBody copies a body as the client reads it, up to limit, and reports
// it when the body ends: complete only at io.EOF. A body over the limit is
// still passed on whole; it is only not kept.
type keepBody struct {
	rc    io.ReadCloser
	buf   bytes.Buffer
	limit int64
	over  bool
	done  func(body []byte, complete bool)
}

func (b *keepBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && !b.over {
		if int64(b.buf.Len()+n) > b.limit {
			b.over = true
			b.buf = bytes.Buffer{}
		} else {
			b.buf.Write(p[:n])
		}
	}
	if err != nil {
		b.end(err == io.EOF && !b.over) //nolint:errorlint // io.EOF is returned unwrapped by Read
	}
	return n, err
}

func (b *keepBody) Close() error {
	b.end(false)
	return b.rc.Close()
}

func (b *keepBody) end(complete bool) {
	if b.done != nil {
		done := b.done
		b.done = nil
		done(b.buf.Bytes(), complete)
	}
}

// replaceResponse makes res the stored entry e: the client's 304 where its
// own conditional matches e, else e's status, header and body.
func replaceResponse(res *http.Response, tx *cacheTx, e *httpcache.Entry, now time.Time) {
	if res.Body != nil {
		res.Body.Close()
	}
	cond := tx.clientConditional
	if cond == nil {
		cond = tx.req.Header
	}
	status, h := e.Status, http.Header(nil)
	body := []byte(nil)
	if httpcache.NotModified(&http.Request{Method: tx.req.Method, Header: cond}, e) {
		status, h = http.StatusNotModified, httpcache.NotModifiedHeader(e, now)
	} else {
		h = httpcache.ResponseHeader(e, now)
		if tx.req.Method != http.MethodHead {
			body = e.Body
		}
	}
	res.StatusCode, res.Status = status, ""
	res.Header, res.Trailer = h, nil
	res.Body, res.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	if status == http.StatusNotModified || tx.req.Method == http.MethodHead {
		res.ContentLength = -1
		if status != http.StatusNotModified {
			h.Set("Content-Length", strconv.Itoa(len(e.Body)))
		}
	}
}

// isUpstreamFailure says a status is the upstream failing rather than
// answering (a 404 or 401 is an answer, and is never replaced).
func isUpstreamFailure(status int) bool {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// staleMayAnswer asks the entry whether it may stand in for a failure now.
func staleMayAnswer(tx *cacheTx, now time.Time) bool {
	ok, _ := tx.entry.StaleIfError(tx.req, now, tx.opts)
	return ok
}
