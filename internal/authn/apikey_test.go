package authn

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestAPIKeysVerify(t *testing.T) {
	k, err := NewAPIKeys(map[string][]string{
		"mobile": {HashAPIKey("key-one"), HashAPIKey("key-two")},
		"web":    {"sha256:" + strings.ToUpper(strings.TrimPrefix(HashAPIKey("key-web"), "sha256:"))},
	})
	if err != nil {
		t.Fatalf("NewAPIKeys: %v", err)
	}
	tests := []struct {
		name     string
		key      string
		consumer string
		reason   string
	}{
		{"the first key of a consumer names it", "key-one", "mobile", ""},
		{"the second key of a consumer names it", "key-two", "mobile", ""},
		{"a hash written in upper-case hex still matches", "key-web", "web", ""},
		{"an unknown key is refused", "key-three", "", ReasonUnknownConsumer},
		{"a key differing only in case is refused", "KEY-ONE", "", ReasonUnknownConsumer},
		{"the stored hash itself is not a key", HashAPIKey("key-one"), "", ReasonUnknownConsumer},
		{"an empty key is missing", "", "", ReasonMissing},
		{"an oversized key is refused before hashing", strings.Repeat("k", 1025), "", ReasonTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := k.Verify(tc.key)
			if tc.reason == "" {
				if err != nil || id.Consumer != tc.consumer || id.Method != MethodAPIKey {
					t.Fatalf("Verify = %+v, %v; want consumer %q", id, err, tc.consumer)
				}
				return
			}
			reason, status := reasonOf(t, err)
			if reason != tc.reason || status != http.StatusUnauthorized {
				t.Fatalf("refused with %s/%d, want %s/401", reason, status, tc.reason)
			}
		})
	}
}

func TestNewAPIKeysRefusesBadConfigurations(t *testing.T) {
	tests := []struct {
		name   string
		owners map[string][]string
		want   string // a substring of the error
	}{
		{"a hash without the sha256 prefix", map[string][]string{"a": {"md5:abcd"}}, "does not start"},
		{"a hash of the wrong length", map[string][]string{"a": {"sha256:abcd"}}, "hex digits"},
		{"a hash that is not hex", map[string][]string{"a": {"sha256:" + strings.Repeat("zz", 32)}}, "not hex"},
		{"a plain key where a hash belongs", map[string][]string{"a": {"my-secret-key"}}, "does not start"},
		{"an empty consumer name", map[string][]string{"": {HashAPIKey("k")}}, "empty consumer"},
		{"one hash owned by two consumers names both", map[string][]string{"alpha": {HashAPIKey("k")}, "beta": {HashAPIKey("k")}}, `"alpha" and "beta"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewAPIKeys(tc.owners)
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewAPIKeys error = %v, want ErrConfig containing %q", err, tc.want)
			}
		})
	}
}

func TestHashAPIKeyIsTheDocumentedForm(t *testing.T) {
	// sha256("abc"), from FIPS 180-2.
	want := "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := HashAPIKey("abc"); got != want {
		t.Fatalf("HashAPIKey(abc) = %s, want %s", got, want)
	}
}
