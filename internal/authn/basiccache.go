package authn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// successCache remembers recent successful password verifications, so that
// a client sending the same Authorization header on every request pays for
// one slow hash, not one per request. Only successes are kept: a guess
// always costs a full hash.
//
// Entries are keyed by HMAC-SHA256(user, password) under a random key made
// per cache, not by a plain SHA-256 of the password, so a memory dump does
// not hold digests that a precomputed table could reverse.
type successCache struct {
	mac [32]byte
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]time.Time // → expiry
}

func newSuccessCache(ttl time.Duration, max int, now func() time.Time) *successCache {
	c := &successCache{ttl: ttl, max: max, now: now, entries: make(map[[sha256.Size]byte]time.Time)}
	_, _ = rand.Read(c.mac[:]) // crypto/rand.Read never fails
	return c
}

// key returns the cache key of a user and password.
func (c *successCache) key(user, password string) [sha256.Size]byte {
	h := hmac.New(sha256.New, c.mac[:])
	// Length-prefixed, so ("ab","c") and ("a","bc") differ.
	_ = binary.Write(h, binary.BigEndian, uint64(len(user)))
	h.Write([]byte(user))
	h.Write([]byte(password))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// hit reports whether k was added less than ttl ago.
func (c *successCache) hit(k [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.entries[k]
	if ok && !c.now().Before(exp) {
		delete(c.entries, k)
		return false
	}
	return ok
}

// add remembers k for ttl. When full it drops expired entries, then, if
// still full, an arbitrary one: the cache only saves work, so any eviction
// is correct.
func (c *successCache) add(k [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.max {
		for e, exp := range c.entries {
			if !now.Before(exp) {
				delete(c.entries, e)
			}
		}
		for e := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, e)
		}
	}
	c.entries[k] = now.Add(c.ttl)
}

// len returns the number of entries, for tests.
func (c *successCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
