package authn

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
)

// verified remembers tokens that verified, so a client sending the same
// bearer token on every request pays for one signature check (an RSA-2048
// verification costs tens of microseconds; Envoy's jwt_authn keeps the same
// kind of cache). A remembered token is only as good as what made it valid:
// a hit needs the very key set it was verified under to be current and no
// older than RefreshEvery (so a key rotated out of the JWKS stops its tokens
// at the next refresh, as without the cache), and now within its nbf and exp
// with the clock skew. Claims cannot change: the token is the same bytes.
type verified struct {
	mu      sync.Mutex // guards replacing m
	m       atomic.Pointer[sync.Map]
	n       atomic.Int64
	max     int64
	hits    atomic.Uint64 // for tests
	skew    time.Duration
	refresh time.Duration
}

// maxVerified bounds the tokens remembered; past it the memory is dropped
// whole and refills with the tokens in use.
const maxVerified = 10_000

type verifiedToken struct {
	id       Identity
	set      *keySet
	nbf, exp time.Time
}

func newVerified(skew, refresh time.Duration) *verified {
	v := &verified{max: maxVerified, skew: skew, refresh: refresh}
	v.m.Store(&sync.Map{})
	return v
}

// get returns the identity of a token verified before, when it still holds.
func (v *verified) get(token string, cur *keySet, now time.Time) (Identity, bool) {
	e, ok := v.m.Load().Load(sha256.Sum256([]byte(token)))
	if !ok {
		return Identity{}, false
	}
	t := e.(*verifiedToken)
	if t.set != cur || now.Sub(cur.fetched) >= v.refresh ||
		!now.Before(t.exp.Add(v.skew)) || (!t.nbf.IsZero() && now.Before(t.nbf.Add(-v.skew))) {
		return Identity{}, false
	}
	v.hits.Add(1)
	return t.id, true
}

// put remembers a token that verified under set.
func (v *verified) put(token string, id Identity, set *keySet, nbf, exp time.Time) {
	if set == nil || exp.IsZero() {
		return
	}
	if v.n.Add(1) > v.max {
		v.mu.Lock()
		if v.n.Load() > v.max {
			v.m.Store(&sync.Map{})
			v.n.Store(1)
		}
		v.mu.Unlock()
	}
	v.m.Load().Store(sha256.Sum256([]byte(token)), &verifiedToken{id: id, set: set, nbf: nbf, exp: exp})
}
