package authn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// apiKeyPrefix starts every stored API key hash.
const apiKeyPrefix = "sha256:"

// maxAPIKeyBytes caps a presented key; real keys are tens of bytes.
const maxAPIKeyBytes = 1024

// APIKeys verifies API keys against their SHA-256 digests. Keys themselves
// are never configured or held, so a leaked configuration leaks no key; a
// key is long and random, so an unsalted fast hash is enough (unlike a
// password). It is immutable and safe for concurrent use.
type APIKeys struct {
	owners map[[sha256.Size]byte]string // digest → consumer
}

// HashAPIKey returns the stored form of key: "sha256:" + hex(sha256(key)).
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return apiKeyPrefix + hex.EncodeToString(sum[:])
}

// NewAPIKeys builds a verifier from consumer → hashes in the HashAPIKey
// form. It refuses a malformed hash and a hash owned by two consumers.
func NewAPIKeys(owners map[string][]string) (*APIKeys, error) {
	k := &APIKeys{owners: make(map[[sha256.Size]byte]string)}
	// Sorted, so the error for a shared hash is the same on every run.
	consumers := make([]string, 0, len(owners))
	for c := range owners {
		consumers = append(consumers, c)
	}
	sort.Strings(consumers)
	for _, consumer := range consumers {
		if consumer == "" {
			return nil, fmt.Errorf("%w: an API key owner has an empty consumer name", ErrConfig)
		}
		for i, h := range owners[consumer] {
			digest, err := parseAPIKeyHash(h)
			if err != nil {
				return nil, fmt.Errorf("%w: consumer %q API key %d: %w", ErrConfig, consumer, i, err)
			}
			if other, dup := k.owners[digest]; dup && other != consumer {
				return nil, fmt.Errorf("%w: consumers %q and %q hold the same API key", ErrConfig, other, consumer)
			}
			k.owners[digest] = consumer
		}
	}
	return k, nil
}

// parseAPIKeyHash decodes "sha256:<64 hex digits>".
func parseAPIKeyHash(h string) ([sha256.Size]byte, error) {
	var d [sha256.Size]byte
	hexPart, ok := strings.CutPrefix(h, apiKeyPrefix)
	if !ok {
		return d, fmt.Errorf("hash does not start with %q", apiKeyPrefix)
	}
	if len(hexPart) != 2*sha256.Size {
		return d, fmt.Errorf("hash has %d hex digits, want %d", len(hexPart), 2*sha256.Size)
	}
	if _, err := hex.Decode(d[:], []byte(hexPart)); err != nil {
		return d, fmt.Errorf("hash is not hex: %w", err)
	}
	return d, nil
}

// Verify returns the identity of the consumer owning key. The presented key
// is hashed and its digest looked up, so the comparison never touches the
// key's bytes and its timing says nothing about how close a guess was.
func (k *APIKeys) Verify(key string) (Identity, error) {
	if key == "" {
		return Identity{}, refuse(ReasonMissing, "no API key was presented", nil)
	}
	if len(key) > maxAPIKeyBytes {
		return Identity{}, refuse(ReasonTooLarge, "the API key is too large", nil)
	}
	consumer, ok := k.owners[sha256.Sum256([]byte(key))]
	if !ok {
		return Identity{}, refuse(ReasonUnknownConsumer, "the API key is not known", nil)
	}
	return Identity{Consumer: consumer, Method: MethodAPIKey}, nil
}
