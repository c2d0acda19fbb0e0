package authn

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Limits of basic authentication.
const (
	basicCacheTTL      = 5 * time.Minute
	basicCacheEntries  = 10000
	basicBusyWait      = 50 * time.Millisecond // longest wait for a hashing slot before "busy"
	maxUserBytes       = 256
	maxPasswordBytes   = 1024
	hashPasswordCost   = 11
	badCredentialsText = "the user name or password is wrong"
)

// Basic verifies user names and passwords against bcrypt or argon2id
// hashes. It is immutable but for its cache, and safe for concurrent use.
type Basic struct {
	users map[string]passwordHash
	// decoy is compared against when the user is unknown, so that an unknown
	// user costs as much as a known one and timing does not reveal which
	// users exist. It is the hash of a configured user; the result is thrown
	// away.
	decoy passwordHash

	sem      chan struct{} // one slot per concurrent hash computation
	busyWait time.Duration
	cache    *successCache
	hashes   atomic.Int64 // hash computations, for tests
}

// NewBasic builds a verifier from consumer → password hash, each bcrypt
// ($2a$, $2b$, $2y$, cost at most 14) or argon2id in PHC form
// ($argon2id$v=19$m=M,t=T,p=P$salt$hash, m ≤ 256 MiB, t ≤ 10, p ≤ 16).
func NewBasic(users map[string]string) (*Basic, error) {
	return newBasic(users, time.Now)
}

func newBasic(users map[string]string, now func() time.Time) (*Basic, error) {
	b := &Basic{
		users:    make(map[string]passwordHash, len(users)),
		sem:      make(chan struct{}, runtime.GOMAXPROCS(0)),
		busyWait: basicBusyWait,
		cache:    newSuccessCache(basicCacheTTL, basicCacheEntries, now),
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		if u == "" || strings.Contains(u, ":") || len(u) > maxUserBytes {
			return nil, fmt.Errorf("%w: user name %q is empty, too long or holds a colon", ErrConfig, u)
		}
		h, err := parsePasswordHash(users[u])
		if err != nil {
			return nil, fmt.Errorf("%w: user %q: %w", ErrConfig, u, err)
		}
		b.users[u] = h
	}
	if len(names) > 0 {
		b.decoy = b.users[names[0]]
	}
	return b, nil
}

// HashPassword returns a bcrypt hash of pw (cost 11) for the configuration.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), hashPasswordCost)
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return string(h), nil
}

// Verify checks a user name and password. The Detail of a refusal is the
// same whether the user is unknown or the password wrong; only the Reason,
// meant for metrics, tells them apart. When every hashing slot stays taken
// for basicBusyWait, it refuses with 503 "busy" rather than queue.
func (b *Basic) Verify(user, password string) (Identity, error) {
	if user == "" {
		return Identity{}, refuse(ReasonMissing, "no user name was presented", nil)
	}
	if len(user) > maxUserBytes || len(password) > maxPasswordBytes {
		return Identity{}, refuse(ReasonTooLarge, "the user name or password is too long", nil)
	}
	h, known := b.users[user]
	key := b.cache.key(user, password)
	if known && b.cache.hit(key) {
		return Identity{Consumer: user, Method: MethodBasic}, nil
	}
	if !b.acquire() {
		return Identity{}, unavailable(ReasonBusy, "too many logins are being checked; retry shortly", nil)
	}
	defer b.release()
	b.hashes.Add(1)
	if !known {
		if b.decoy != nil {
			b.decoy.matches([]byte(password))
		}
		return Identity{}, refuse(ReasonUnknownConsumer, badCredentialsText, nil)
	}
	if !h.matches([]byte(password)) {
		return Identity{}, refuse(ReasonBadPassword, badCredentialsText, nil)
	}
	b.cache.add(key)
	return Identity{Consumer: user, Method: MethodBasic}, nil
}

// acquire takes a hashing slot, waiting at most busyWait.
func (b *Basic) acquire() bool {
	select {
	case b.sem <- struct{}{}:
		return true
	default:
	}
	if b.busyWait <= 0 {
		return false
	}
	t := time.NewTimer(b.busyWait)
	defer t.Stop()
	select {
	case b.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	}
}

func (b *Basic) release() { <-b.sem }
