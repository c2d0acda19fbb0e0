package sfv

import (
	"strings"
	"testing"

	"github.com/dunglas/httpsfv"
)

// The differential test: what this package writes, github.com/dunglas/httpsfv
// (a complete RFC 9651 implementation, tested against the RFC's own test
// suite) reads back as the value meant, for any input.
func FuzzWritesWhatHttpsfvReads(f *testing.F) {
	for _, s := range []string{"", "bulwark", "a b", `"quoted"`, `back\slash`, "tab\there", "é", "\x00\x7f",
		"*star", "9lead", "path/to:x", "client_ip", "header:X-Tenant", "a,b;c=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// A string: read back with each unwritable byte as '?'.
		item, err := httpsfv.UnmarshalItem([]string{String(s)})
		if err != nil {
			t.Fatalf("String(%q) = %s, which httpsfv refuses: %v", s, String(s), err)
		}
		want := replaceUnwritable(s)
		if got, ok := item.Value.(string); !ok || got != want {
			t.Fatalf("String(%q) reads back as %#v, want %q", s, item.Value, want)
		}
		// An item: a token exactly when httpsfv takes s as one.
		var b strings.Builder
		WriteItem(&b, s)
		item, err = httpsfv.UnmarshalItem([]string{b.String()})
		if err != nil {
			t.Fatalf("WriteItem(%q) = %s, which httpsfv refuses: %v", s, b.String(), err)
		}
		_, tokenErr := httpsfv.Marshal(httpsfv.NewItem(httpsfv.Token(s)))
		if IsToken(s) != (tokenErr == nil) {
			t.Fatalf("IsToken(%q) = %v, httpsfv says %v", s, IsToken(s), tokenErr)
		}
		if tok, ok := item.Value.(httpsfv.Token); IsToken(s) && (!ok || string(tok) != s) {
			t.Fatalf("WriteItem(%q) reads back as %#v, want the token", s, item.Value)
		}
	})
}

// replaceUnwritable is the string an sf-string can carry: each byte outside
// printable ASCII becomes '?'.
func replaceUnwritable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
