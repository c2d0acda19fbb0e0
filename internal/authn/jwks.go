package authn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
)

// maxJWKSBytes caps a JWKS document; a real one is a few KiB.
const maxJWKSBytes = 1 << 20

// Errors of the key source. They are causes inside an *Error, never shown to
// clients.
var (
	errFetchSkipped = errors.New("jwks fetch skipped: the last one was less than RefreshMin ago")
	errClosed       = errors.New("jwks source closed")
	errNoUsableKeys = errors.New("jwks holds no usable signing key")
	errJWKSTooLarge = errors.New("jwks body exceeds 1 MiB")
)

// publicKey is one verification key of a key set.
type publicKey struct {
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	alg string // the JWK's own alg, "" when it names none
}

// keySet is an immutable snapshot of a fetched JWKS.
type keySet struct {
	keys    map[string]publicKey // by kid
	fetched time.Time
}

// fetchCall is one JWKS fetch that any number of callers wait on.
type fetchCall struct {
	done chan struct{}
	err  error
}

// jwksSource fetches and caches the keys of one JWKS URL. Readers use the
// current snapshot without locking; mu only guards starting a fetch.
type jwksSource struct {
	url          string
	client       *http.Client
	ownTransport *http.Transport // closed on Close; nil when the caller gave the client
	timeout      time.Duration
	refreshMin   time.Duration
	refreshEvery time.Duration
	now          func() time.Time

	cur atomic.Pointer[keySet]

	mu          sync.Mutex
	inflight    *fetchCall
	attempted   bool
	lastAttempt time.Time

	ctx    context.Context // cancelled by close; parent of every fetch
	cancel context.CancelFunc
	wg     sync.WaitGroup // running fetches
}

// lookup returns the key named kid, fetching the JWKS when there are no keys
// yet, when they are older than refreshEvery, or when kid is unknown, but
// never more than once per refreshMin. A failed refresh keeps the old keys.
func (s *jwksSource) lookup(ctx context.Context, kid string) (publicKey, error) {
	set := s.cur.Load()
	if set == nil || s.now().Sub(set.fetched) >= s.refreshEvery {
		err := s.refresh(ctx)
		if set = s.cur.Load(); set == nil {
			return publicKey{}, unavailable(ReasonUnavailable, "the signing keys cannot be fetched", err)
		}
	}
	if k, ok := set.find(kid); ok {
		return k, nil
	}
	if err := s.refresh(ctx); err == nil {
		if k, ok := s.cur.Load().find(kid); ok {
			return k, nil
		}
	}
	return publicKey{}, refuse(ReasonUnknownKey, "the token's key is not known", nil)
}

// find returns the key named kid. A token without kid may use the only key
// of a one-key set; with more keys a kid is required, to avoid trying each.
func (set *keySet) find(kid string) (publicKey, bool) {
	if kid == "" && len(set.keys) == 1 {
		for _, k := range set.keys {
			return k, true
		}
	}
	k, ok := set.keys[kid]
	return k, ok
}

// refresh fetches the JWKS, or joins a fetch already running, and waits for
// it or for ctx. The fetch itself is bounded by the timeout and by close, not
// by ctx, so one impatient caller does not fail the others waiting on it.
func (s *jwksSource) refresh(ctx context.Context) error {
	s.mu.Lock()
	c := s.inflight
	if c == nil {
		if err := s.ctx.Err(); err != nil {
			s.mu.Unlock()
			return errClosed
		}
		now := s.now()
		if s.attempted && now.Sub(s.lastAttempt) < s.refreshMin {
			s.mu.Unlock()
			return errFetchSkipped
		}
		s.attempted, s.lastAttempt = true, now
		c = &fetchCall{done: make(chan struct{})}
		s.inflight = c
		s.wg.Add(1)
		go s.run(c)
	}
	s.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run performs one fetch for the callers waiting on c.
func (s *jwksSource) run(c *fetchCall) {
	defer s.wg.Done()
	set, err := s.fetch()
	if err == nil {
		s.cur.Store(set)
	}
	s.mu.Lock()
	s.inflight = nil
	s.mu.Unlock()
	c.err = err
	close(c.done)
}

// fetch downloads and parses the JWKS.
func (s *jwksSource) fetch() (*keySet, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("building jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching jwks: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading jwks: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, errJWKSTooLarge
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, err
	}
	return &keySet{keys: keys, fetched: s.now()}, nil
}

// parseJWKS returns the signing keys of a JWKS document by kid. Keys that
// are not public signature keys (oct, use "enc", unknown kty or curve) are
// skipped rather than failing the set, as an IdP may publish those too.
func parseJWKS(body []byte) (map[string]publicKey, error) {
	var doc jwkset.JWKSMarshal
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("parsing jwks: %w", err)
	}
	keys := make(map[string]publicKey, len(doc.Keys))
	dups := make(map[string]bool)
	for _, m := range doc.Keys {
		if m.USE != "" && m.USE != jwkset.UseSig {
			continue
		}
		// Private false: private parts are ignored and oct keys refused.
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			continue
		}
		if _, dup := keys[m.KID]; dup || dups[m.KID] {
			// Two keys under one kid: none of them can be chosen safely.
			delete(keys, m.KID)
			dups[m.KID] = true
			continue
		}
		keys[m.KID] = publicKey{key: jwk.Key(), alg: string(m.ALG)}
	}
	if len(keys) == 0 {
		return nil, errNoUsableKeys
	}
	return keys, nil
}

// close cancels running fetches, waits for them and drops idle connections.
func (s *jwksSource) close() {
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	s.wg.Wait()
	if s.ownTransport != nil {
		s.ownTransport.CloseIdleConnections()
	}
}
