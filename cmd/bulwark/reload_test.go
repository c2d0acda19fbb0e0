package main

import (
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/config"
)

// baseConfig is the running configuration restartOnly compares against.
const baseConfig = `listen:
  http: "127.0.0.1:8080"
admin:
  listen: "127.0.0.1:9901"
  token: first-token
server:
  read_timeout: 30s
log:
  level: info
  format: text
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9001"]
    - service: orders
      instances: ["127.0.0.1:9002"]
routes:
  - path: /pets
    service: pets
`

// parse builds a config.File from YAML, failing the test if it is invalid.
func parse(t *testing.T, src string) *config.File {
	t.Helper()
	f, err := config.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("config.Parse:\n%v\n---\n%s", err, src)
	}
	return f
}

// edit replaces old with new in baseConfig, failing the test if old is absent,
// so a case can never silently compare the base with itself.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(baseConfig, old) {
		t.Fatalf("baseConfig has no %q", old)
	}
	return strings.Replace(baseConfig, old, new, 1)
}

func TestRestartOnly(t *testing.T) {
	tests := []struct {
		name string
		from func(t *testing.T) string // the running file; nil means baseConfig
		next func(t *testing.T) string
		want []string // substrings of the notes, one per note, in order
	}{
		{
			name: "the same file needs no restart",
			next: func(*testing.T) string { return baseConfig },
			want: nil,
		},
		{
			name: "a routes-only change needs no restart",
			next: func(t *testing.T) string {
				return edit(t, "  - path: /pets\n    service: pets\n",
					"  - path: /animals\n    service: pets\n    strip_prefix: true\n  - path: /orders\n    service: orders\n")
			},
			want: nil,
		},
		{
			name: "a static discovery and policy change needs no restart",
			next: func(t *testing.T) string {
				return edit(t, `instances: ["127.0.0.1:9001"]`, `instances: ["127.0.0.1:9001", "127.0.0.1:9003"]`) +
					"services:\n  pets:\n    timeout: 3s\n"
			},
			want: nil,
		},
		{
			name: "a trusted_proxies change needs no restart: it applies on reload",
			next: func(t *testing.T) string {
				return edit(t, "  read_timeout: 30s\n", "  read_timeout: 30s\n  trusted_proxies: [\"10.0.0.0/8\"]\n")
			},
			want: nil,
		},
		{
			name: "a log level change needs no restart",
			next: func(t *testing.T) string { return edit(t, "level: info", "level: debug") },
			want: nil,
		},
		{
			name: "a changed listen.http needs a restart",
			next: func(t *testing.T) string { return edit(t, `http: "127.0.0.1:8080"`, `http: "127.0.0.1:8081"`) },
			want: []string{`listen.http changed from "127.0.0.1:8080" to "127.0.0.1:8081"`},
		},
		{
			name: "a disabled listen.http needs a restart",
			next: func(t *testing.T) string { return edit(t, `http: "127.0.0.1:8080"`, `http: ""`) },
			want: []string{`listen.http changed from "127.0.0.1:8080" to ""`},
		},
		{
			name: "a changed admin.listen needs a restart",
			next: func(t *testing.T) string { return edit(t, `listen: "127.0.0.1:9901"`, `listen: "127.0.0.1:9902"`) },
			want: []string{`admin.listen changed from "127.0.0.1:9901" to "127.0.0.1:9902"`},
		},
		{
			name: "a changed admin token needs a restart",
			next: func(t *testing.T) string { return edit(t, "token: first-token", "token: second-token") },
			want: []string{"the admin token settings changed"},
		},
		{
			name: "a token replaced by a token file needs a restart",
			next: func(t *testing.T) string { return edit(t, "token: first-token", "token_file: /run/secrets/admin") },
			want: []string{"the admin token settings changed"},
		},
		{
			name: "a token file moved to another path needs a restart",
			from: func(t *testing.T) string { return edit(t, "token: first-token", "token_file: /run/secrets/a") },
			next: func(t *testing.T) string { return edit(t, "token: first-token", "token_file: /run/secrets/b") },
			want: []string{"the admin token settings changed"},
		},
		{
			name: "the same token file needs no restart",
			from: func(t *testing.T) string { return edit(t, "token: first-token", "token_file: /run/secrets/a") },
			next: func(t *testing.T) string { return edit(t, "token: first-token", "token_file: /run/secrets/a") },
			want: nil,
		},
		{
			name: "a changed server block needs a restart",
			next: func(t *testing.T) string { return edit(t, "read_timeout: 30s", "read_timeout: 45s") },
			want: []string{"server limits changed"},
		},
		{
			name: "an added server limit needs a restart",
			next: func(t *testing.T) string {
				return edit(t, "read_timeout: 30s", "read_timeout: 30s\n  max_header_bytes: 4096")
			},
			want: []string{"server limits changed"},
		},
		{
			name: "a changed log format needs a restart",
			next: func(t *testing.T) string { return edit(t, "format: text", "format: json") },
			want: []string{"log.format changed"},
		},
		{
			name: "every restart-only change is reported, in a fixed order",
			next: func(t *testing.T) string {
				s := edit(t, `http: "127.0.0.1:8080"`, `http: "127.0.0.1:8081"`)
				for _, r := range [][2]string{
					{`listen: "127.0.0.1:9901"`, `listen: "127.0.0.1:9902"`},
					{"token: first-token", "token: second-token"},
					{"read_timeout: 30s", "idle_timeout: 5s"},
					{"format: text", "format: json"},
				} {
					s = strings.Replace(s, r[0], r[1], 1)
				}
				return s
			},
			want: []string{"listen.http changed", "admin.listen changed", "admin token settings changed",
				"server limits changed", "log.format changed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := baseConfig
			if tt.from != nil {
				from = tt.from(t)
			}
			rt := &process{current: parse(t, from)}
			got := rt.restartOnly(parse(t, tt.next(t)))
			if len(got) != len(tt.want) {
				t.Fatalf("restartOnly = %q, want %d notes matching %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("note %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestSplitLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"one line is one element", "a: bad", []string{"a: bad"}},
		{"surrounding newlines are dropped", "\na: bad\nb: worse\n", []string{"a: bad", "b: worse"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitLines(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("splitLines(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
