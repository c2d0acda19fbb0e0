package authn

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// bcryptAt returns a fast bcrypt hash of pw with the given version prefix.
func bcryptAt(t testing.TB, pw, prefix string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + string(h)[4:]
}

// argon2At returns an argon2id PHC hash of pw with small parameters.
func argon2At(pw string, m, tm uint32, p uint8) string {
	salt := []byte("saltsaltsalt")
	key := argon2.IDKey([]byte(pw), salt, tm, m, p, 32)
	enc := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p, enc(salt), enc(key))
}

func newTestBasic(t *testing.T, c *testClock) *Basic {
	t.Helper()
	b, err := newBasic(map[string]string{
		"ann":  bcryptAt(t, "ann-pw", "$2a$"),
		"bob":  bcryptAt(t, "bob-pw", "$2b$"),
		"cy":   bcryptAt(t, "cy-pw", "$2y$"),
		"dora": argon2At("dora-pw", 64, 1, 1),
	}, c.now)
	if err != nil {
		t.Fatalf("newBasic: %v", err)
	}
	return b
}

func TestBasicVerify(t *testing.T) {
	b := newTestBasic(t, newClock())
	tests := []struct {
		name, user, password string
		reason               string // "" = accepted
	}{
		{"a $2a$ bcrypt hash accepts its password", "ann", "ann-pw", ""},
		{"a $2b$ bcrypt hash accepts its password", "bob", "bob-pw", ""},
		{"a $2y$ bcrypt hash accepts its password", "cy", "cy-pw", ""},
		{"an argon2id hash accepts its password", "dora", "dora-pw", ""},
		{"a bcrypt hash refuses a wrong password", "ann", "bob-pw", ReasonBadPassword},
		{"an argon2id hash refuses a wrong password", "dora", "dora-PW", ReasonBadPassword},
		{"an empty password is wrong", "ann", "", ReasonBadPassword},
		{"an unknown user is refused", "eve", "ann-pw", ReasonUnknownConsumer},
		{"user names are case-sensitive", "Ann", "ann-pw", ReasonUnknownConsumer},
		{"an empty user is missing", "", "", ReasonMissing},
		{"an oversized password is refused before hashing", "ann", strings.Repeat("p", 1025), ReasonTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := b.Verify(tc.user, tc.password)
			if tc.reason == "" {
				if err != nil || id.Consumer != tc.user || id.Method != MethodBasic {
					t.Fatalf("Verify = %+v, %v", id, err)
				}
				return
			}
			reason, status := reasonOf(t, err)
			if reason != tc.reason || status != http.StatusUnauthorized {
				t.Fatalf("refused with %s/%d, want %s/401", reason, status, tc.reason)
			}
			if tc.password != "" && strings.Contains(err.Error(), tc.password) {
				t.Fatalf("error %q repeats the password", err)
			}
		})
	}
}

func TestBasicRefusesUnknownUsersAndWrongPasswordsAlike(t *testing.T) {
	b := newTestBasic(t, newClock())
	_, unknown := b.Verify("eve", "x")
	_, wrong := b.Verify("ann", "x")
	if unknown.(*Error).Detail != wrong.(*Error).Detail {
		t.Fatalf("details differ: %q vs %q", unknown.(*Error).Detail, wrong.(*Error).Detail)
	}
	if n := b.hashes.Load(); n != 2 {
		t.Fatalf("%d hash computations for an unknown user and a wrong password, want 2: an unknown user must cost a hash too", n)
	}
}

func TestBasicCachesSuccessesOnly(t *testing.T) {
	c := newClock()
	b := newTestBasic(t, c)
	steps := []struct {
		name      string
		user, pw  string
		advance   time.Duration
		ok        bool
		newHashes int64
	}{
		{"a first success computes the hash", "ann", "ann-pw", 0, true, 1},
		{"the same credentials again hit the cache", "ann", "ann-pw", 0, true, 0},
		{"and again a minute later", "ann", "ann-pw", time.Minute, true, 0},
		{"a wrong password is never served from the cache", "ann", "wrong", 0, false, 1},
		{"a wrong password again is hashed again", "ann", "wrong", 0, false, 1},
		{"another user's password does not hit ann's entry", "bob", "ann-pw", 0, false, 1},
		{"an argon2id success is cached too", "dora", "dora-pw", 0, true, 1},
		{"a cached argon2id success costs nothing", "dora", "dora-pw", 0, true, 0},
		{"after the TTL the hash is computed again", "ann", "ann-pw", basicCacheTTL, true, 1},
	}
	for _, s := range steps {
		c.advance(s.advance)
		before := b.hashes.Load()
		_, err := b.Verify(s.user, s.pw)
		if (err == nil) != s.ok {
			t.Fatalf("%s: Verify error %v, want ok=%v", s.name, err, s.ok)
		}
		if n := b.hashes.Load() - before; n != s.newHashes {
			t.Fatalf("%s: %d hash computations, want %d", s.name, n, s.newHashes)
		}
	}
}

func TestBasicRefusesWithBusyWhenEveryHashingSlotIsTaken(t *testing.T) {
	b := newTestBasic(t, newClock())
	b.busyWait = 0
	for range cap(b.sem) {
		b.sem <- struct{}{}
	}
	for _, user := range []string{"ann", "eve"} {
		reason, status := reasonOf(t, second(b.Verify(user, "ann-pw")))
		if reason != ReasonBusy || status != http.StatusServiceUnavailable {
			t.Fatalf("user %s refused with %s/%d, want busy/503", user, reason, status)
		}
	}
	// A slot frees: verification proceeds.
	<-b.sem
	if _, err := b.Verify("ann", "ann-pw"); err != nil {
		t.Fatalf("Verify after a slot freed: %v", err)
	}
	if len(b.sem) != cap(b.sem)-1 {
		t.Fatalf("Verify did not give its slot back")
	}
}

func TestBasicBusyWaitTakesASlotThatFreesInTime(t *testing.T) {
	b := newTestBasic(t, newClock())
	b.busyWait = time.Minute // generous: the slot is freed long before
	for range cap(b.sem) {
		b.sem <- struct{}{}
	}
	done := make(chan error)
	go func() { done <- second(b.Verify("ann", "ann-pw")) }()
	<-b.sem
	if err := <-done; err != nil {
		t.Fatalf("Verify waiting for a slot: %v", err)
	}
}

func TestNewBasicRefusesBadConfigurations(t *testing.T) {
	costly := bcryptAt(t, "x", "$2a$")
	costly = costly[:4] + "15" + costly[6:]
	tests := []struct {
		name string
		hash string
		user string
		want string
	}{
		{"a bcrypt cost over 14", costly, "u", "cost 15"},
		{"a truncated bcrypt hash", bcryptAt(t, "x", "$2a$")[:40], "u", "bcrypt"},
		{"an argon2id memory over 256 MiB", "$argon2id$v=19$m=1048576,t=1,p=1$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43), "u", "m=1048576"},
		{"an argon2id time over 10", strings.Replace(argon2At("x", 64, 1, 1), "t=1", "t=11", 1), "u", "t=11"},
		{"argon2id with zero threads", strings.Replace(argon2At("x", 64, 1, 1), "p=1", "p=0", 1), "u", "p=0"},
		{"argon2i rather than argon2id", strings.Replace(argon2At("x", 64, 1, 1), "argon2id", "argon2i", 1), "u", "neither"},
		{"an argon2id hash of another version", strings.Replace(argon2At("x", 64, 1, 1), "v=19", "v=16", 1), "u", "version"},
		{"an argon2id hash with a short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + strings.Repeat("A", 43), "u", "salt"},
		{"an argon2id hash with reordered parameters", strings.Replace(argon2At("x", 64, 1, 1), "m=64,t=1", "t=1,m=64", 1), "u", "parameter"},
		{"a plain-text password", "hunter2", "u", "neither"},
		{"a user name with a colon", bcryptAt(t, "x", "$2a$"), "a:b", "colon"},
		{"an empty user name", bcryptAt(t, "x", "$2a$"), "", "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewBasic(map[string]string{tc.user: tc.hash})
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewBasic error = %v, want ErrConfig containing %q", err, tc.want)
			}
		})
	}
}

func TestHashPasswordMakesAHashNewBasicAccepts(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost([]byte(h)); cost < 10 {
		t.Fatalf("cost %d, want at least 10", cost)
	}
	b, err := NewBasic(map[string]string{"ann": h})
	if err != nil {
		t.Fatalf("NewBasic: %v", err)
	}
	if _, err := b.Verify("ann", "correct horse"); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if _, err := HashPassword(strings.Repeat("p", 73)); err == nil {
		t.Fatal("HashPassword accepted a password bcrypt would truncate")
	}
}

func TestSuccessCacheStaysWithinItsCap(t *testing.T) {
	c := newClock()
	sc := newSuccessCache(time.Minute, 3, c.now)
	for i := range 10 {
		sc.add(sc.key(fmt.Sprint("user", i), "pw"))
	}
	if n := sc.len(); n != 3 {
		t.Fatalf("cache holds %d entries, want its cap of 3", n)
	}
	if sc.key("ab", "c") == sc.key("a", "bc") {
		t.Fatal("the user/password boundary is not part of the key")
	}
}
