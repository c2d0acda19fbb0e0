package config

import (
	"errors"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
)

// FuzzParse checks that Parse never panics, that it returns either a File or
// Problems (never both, never neither), and that a File it accepts translates.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		issueExample,
		"listen: {http: \"\"}\n",
		"routes:\n  - path: /a\n    service: pets\n    methods: [GET]\n    headers: {X-A: b}\n",
		"a: &a [*a, *a]\nb: *a\n",
		"services:\n  pets: {balancer: consistent_hash, hash_on: \"path:2\", try_timeout: 1s}\n",
		"discovery:\n  static:\n    - service: x\n      instances: [\"[::1]:80\"]\n      weights: {\"[::1]:80\": 2}\n",
		"- 1\n---\n- 2\n",
		"server: {max_header_bytes: 0x7fffffffffffffff, read_timeout: -1ns}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if (file == nil) == (err == nil) {
			t.Fatalf("Parse returned file %v and error %v", file != nil, err)
		}
		var ps Problems
		if err != nil && !errors.As(err, &ps) {
			t.Fatalf("Parse returned %T, want Problems", err)
		}
		if file == nil {
			return
		}
		// A file that validates must translate: Validate is at least as strict as
		// the packages it configures.
		if _, err := file.Gateway(); err != nil {
			t.Fatalf("Gateway() of a valid file: %v", err)
		}
		if _, err := discovery.NewStatic(file.StaticServices()); err != nil {
			t.Fatalf("NewStatic of a valid file: %v", err)
		}
	})
}
