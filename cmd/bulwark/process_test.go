package main

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/config"
)

func TestAdminToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	padded := write("padded", "  s3cret-token \n\n")
	empty := write("empty", " \n\t\n")
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name    string
		admin   config.Admin
		want    string
		wantErr string // "" means no error
		notExit bool   // the error wraps fs.ErrNotExist
	}{
		{
			name:  "a configured token is used as is",
			admin: config.Admin{Token: " literal "},
			want:  " literal ",
		},
		{
			name:  "a configured token wins over a token file",
			admin: config.Admin{Token: "literal", TokenFile: missing},
			want:  "literal",
		},
		{
			name:  "a token file's content is used with surrounding whitespace trimmed",
			admin: config.Admin{TokenFile: padded},
			want:  "s3cret-token",
		},
		{
			name:    "a token file holding only whitespace is an error",
			admin:   config.Admin{TokenFile: empty},
			wantErr: "is empty",
		},
		{
			name:    "a missing token file is an error",
			admin:   config.Admin{TokenFile: missing},
			wantErr: "reading admin.token_file",
			notExit: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, generated, err := adminToken(tt.admin)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("adminToken = %q, %v; want an error containing %q", got, err, tt.wantErr)
				}
				if got != "" {
					t.Errorf("adminToken returned token %q with its error", got)
				}
				if tt.notExit && !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("error %v does not wrap fs.ErrNotExist", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("adminToken: %v", err)
			}
			if got != tt.want {
				t.Errorf("token = %q, want %q", got, tt.want)
			}
			if generated {
				t.Error("generated = true for a configured token")
			}
		})
	}

	t.Run("without a token or file a 32 hex character token is generated, new on every call", func(t *testing.T) {
		seen := map[string]bool{}
		for range 3 {
			tok, generated, err := adminToken(config.Admin{})
			if err != nil {
				t.Fatalf("adminToken: %v", err)
			}
			if !generated {
				t.Error("generated = false, want true")
			}
			if len(tok) != 32 {
				t.Errorf("token %q has %d characters, want 32", tok, len(tok))
			}
			if b, err := hex.DecodeString(tok); err != nil || strings.ToLower(tok) != tok {
				t.Errorf("token %q is not lowercase hex (%d bytes, %v)", tok, len(b), err)
			}
			if seen[tok] {
				t.Errorf("token %q was generated twice", tok)
			}
			seen[tok] = true
		}
	})
}
