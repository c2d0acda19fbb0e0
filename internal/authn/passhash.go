package authn

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Bounds on password hash parameters, checked when the configuration is
// loaded so that no hash can make every login cost seconds or gigabytes.
const (
	maxBcryptCost    = 14         // ~1s of CPU; each step doubles it
	maxArgon2Memory  = 256 * 1024 // KiB, so 256 MiB per computation
	maxArgon2Time    = 10         // passes
	maxArgon2Threads = 16         // lanes
	minArgon2Salt    = 8          // bytes
	maxArgon2Bytes   = 64         // salt and key
	minArgon2Key     = 16         // bytes
)

// passwordHash is one stored password hash.
type passwordHash interface {
	// matches reports whether password hashes to this hash, in time that
	// does not depend on how much of it matched.
	matches(password []byte) bool
}

// parsePasswordHash accepts bcrypt ($2a$, $2b$, $2y$) and argon2id in PHC form.
func parsePasswordHash(h string) (passwordHash, error) {
	switch {
	case strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"), strings.HasPrefix(h, "$2y$"):
		cost, err := bcrypt.Cost([]byte(h))
		if err != nil {
			return nil, fmt.Errorf("bad bcrypt hash: %w", err)
		}
		if len(h) != 60 {
			return nil, fmt.Errorf("bad bcrypt hash: %d characters, want 60", len(h))
		}
		if cost > maxBcryptCost {
			return nil, fmt.Errorf("bcrypt cost %d is over the maximum of %d", cost, maxBcryptCost)
		}
		return bcryptHash(h), nil
	case strings.HasPrefix(h, "$argon2id$"):
		return parseArgon2id(h)
	}
	return nil, fmt.Errorf("hash is neither bcrypt ($2a$, $2b$, $2y$) nor argon2id ($argon2id$)")
}

// bcryptHash is a bcrypt hash in its modular crypt form.
type bcryptHash string

func (h bcryptHash) matches(password []byte) bool {
	// CompareHashAndPassword compares in constant time.
	return bcrypt.CompareHashAndPassword([]byte(h), password) == nil
}

// argon2idHash is a parsed "$argon2id$v=19$m=M,t=T,p=P$salt$key".
type argon2idHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parseArgon2id(h string) (passwordHash, error) {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, fmt.Errorf("bad argon2id hash: want $argon2id$v=19$m=M,t=T,p=P$salt$hash")
	}
	if parts[2] != "v=19" {
		return nil, fmt.Errorf("bad argon2id hash: version %q, want v=19", parts[2])
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return nil, fmt.Errorf("bad argon2id hash: parameters %q, want m=M,t=T,p=P", parts[3])
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(params[i], name)
		v, err := strconv.ParseUint(s, 10, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad argon2id hash: parameter %q, want %sN", params[i], name)
		}
		vals[i] = v
	}
	m, t, p := vals[0], vals[1], vals[2]
	switch {
	case p < 1 || p > maxArgon2Threads:
		return nil, fmt.Errorf("argon2id p=%d is outside 1..%d", p, maxArgon2Threads)
	case t < 1 || t > maxArgon2Time:
		return nil, fmt.Errorf("argon2id t=%d is outside 1..%d", t, maxArgon2Time)
	case m < 8*p || m > maxArgon2Memory:
		return nil, fmt.Errorf("argon2id m=%d is outside %d..%d KiB", m, 8*p, maxArgon2Memory)
	}
	salt, err := base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minArgon2Salt || len(salt) > maxArgon2Bytes {
		return nil, fmt.Errorf("bad argon2id salt: want %d..%d bytes of unpadded base64", minArgon2Salt, maxArgon2Bytes)
	}
	key, err := base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minArgon2Key || len(key) > maxArgon2Bytes {
		return nil, fmt.Errorf("bad argon2id hash value: want %d..%d bytes of unpadded base64", minArgon2Key, maxArgon2Bytes)
	}
	return &argon2idHash{memory: uint32(m), time: uint32(t), threads: uint8(p), salt: salt, key: key}, nil
}

func (h *argon2idHash) matches(password []byte) bool {
	got := argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}
