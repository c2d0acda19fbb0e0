package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDecodingProblemsAreLocated(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "an unknown key is reported with its line and column and a suggestion",
			src:  "listen:\n  htp: 127.0.0.1:8080\n",
			want: []string{`b.yaml:2:3: listen: unknown key "htp" (did you mean "http"?)`},
		},
		{
			name: "an unknown top-level key far from every known key gets no suggestion",
			src:  "frobnicate: true\n",
			want: []string{`b.yaml:1:1: unknown key "frobnicate"`},
		},
		{
			name: "a swap of two letters counts as one edit",
			src:  "services:\n  pets:\n    tiemout: 2s\n",
			want: []string{
				`b.yaml:2:3: services.pets: unknown service "pets": no route names it and no discovery source lists it`,
				`b.yaml:3:5: services.pets: unknown key "tiemout" (did you mean "timeout"?)`,
			},
		},
		{
			name: "a wrong type in a nested list is located",
			src:  "discovery:\n  static: [{service: pets, instances: [\"127.0.0.1:1\"]}]\nroutes:\n  - path: /a\n    service: pets\n    methods:\n      - GET\n      - [POST]\n",
			want: []string{`b.yaml:8:9: routes[0].methods[1]: expected a string, found a list`},
		},
		{
			name: "a list where a mapping is expected is reported at the list",
			src:  "services:\n  - pets\n",
			want: []string{`b.yaml:2:3: services: expected a mapping, found a list`},
		},
		{
			name: "a word where an integer is expected is quoted",
			src:  "server:\n  max_header_bytes: abc\n",
			want: []string{`b.yaml:2:21: server.max_header_bytes: expected an integer, found "abc"`},
		},
		{
			name: "a duration without a unit is refused with the expected syntax",
			src:  "defaults:\n  timeout: 15\n",
			want: []string{`b.yaml:2:12: defaults.timeout: expected a duration such as "250ms", "15s" or "1m30s", found "15"`},
		},
		{
			name: "a bad duration in a flow mapping is located at the value",
			src:  "shutdown: {grace: soon}\n",
			want: []string{`b.yaml:1:19: shutdown.grace: expected a duration such as "250ms", "15s" or "1m30s", found "soon"`},
		},
		{
			name: "yes is not a boolean in YAML 1.2 and is refused rather than guessed",
			src:  "log:\n  access_log: yes\n",
			want: []string{`b.yaml:2:15: log.access_log: expected true or false, found "yes"`},
		},
		{
			name: "a duplicate key names the line of the first",
			src:  "log:\n  level: info\n  level: debug\n",
			want: []string{`b.yaml:3:3: log: duplicate key "level" (first at line 2)`},
		},
		{
			name: "a duplicate key in a map of services is caught too",
			src:  "services:\n  pets: {timeout: 1s}\n  pets: {timeout: 2s}\n",
			want: []string{`b.yaml:3:3: services: duplicate key "pets" (first at line 2)`},
		},
		{
			name: "a document that is a list is refused",
			src:  "- listen\n- routes\n",
			want: []string{`b.yaml:1:1: the document must be a mapping of keys such as listen:, routes: and services:, found a list`},
		},
		{
			name: "a document that is a bare word is refused",
			src:  "hello\n",
			want: []string{`b.yaml:1:1: the document must be a mapping of keys such as listen:, routes: and services:, found "hello"`},
		},
		{
			name: "a second document is refused where it starts",
			src:  "log: {level: info}\n---\nlog: {level: debug}\n",
			want: []string{`b.yaml:2:1: a second YAML document starts here; a config file holds exactly one`},
		},
		{
			name: "an alias is refused, so nothing can expand",
			src:  "defaults:\n  timeout: &t 2s\nservices:\n  pets:\n    timeout: *t\n",
			want: []string{`b.yaml:5:14: services.pets.timeout: YAML aliases (*t) are not supported; write the value out`},
		},
		{
			name: "a merge key is refused",
			src:  "defaults: &d {timeout: 2s}\nservices:\n  pets:\n    <<: *d\n",
			want: []string{`b.yaml:4:5: services.pets: merge keys (<<) are not supported; write the keys out`},
		},
		{
			name: "a custom tag is refused",
			src:  "log:\n  level: !env LEVEL\n",
			want: []string{`b.yaml:2:10: log.level: unsupported YAML tag "!env"`},
		},
		{
			name: "a syntax error carries the line yaml reports",
			src:  "routes:\n  - path: /a\n service: pets\n",
			want: []string{`b.yaml:2: invalid YAML: did not find expected key`},
		},
		{
			name: "a misspelled required key is one mistake, not also a missing key",
			src:  "routes:\n  - path: /a\n    servce: pets\ndiscovery:\n  static:\n    - servic: pets\n      instances: [127.0.0.1:1]\n",
			want: []string{
				`b.yaml:3:5: routes[0]: unknown key "servce" (did you mean "service"?)`,
				`b.yaml:6:7: discovery.static[0]: unknown key "servic" (did you mean "service"?)`,
			},
		},
		{
			name: "a misspelled certificate key is one mistake",
			src:  "tls:\n  certificates:\n    - {cert: a.pem, kye: a.key}\n",
			want: []string{`b.yaml:3:21: tls.certificates[0]: unknown key "kye" (did you mean "key"?)`},
		},
		{
			name: "a required key that is simply absent is still reported",
			src:  "routes:\n  - path: /a\n",
			want: []string{`b.yaml:2:5: routes[0]: service is required`},
		},
		{
			name: "an integer too large for its field is out of range",
			src:  "server:\n  max_header_bytes: 99999999999999999999\n",
			want: []string{`b.yaml:2:21: server.max_header_bytes: expected an integer, found "99999999999999999999"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, problemsOf(t, tt.src), tt.want)
		})
	}
}

func TestEveryProblemInAFileIsReportedNotJustTheFirst(t *testing.T) {
	src := `listen:
  htp: 127.0.0.1:8080
server:
  read_timeout: 15
  max_header_bytes: [1]
routes:
  - path: /a
    servce: pets
log:
  level: info
  level: debug
`
	checkProblems(t, problemsOf(t, src), []string{
		`b.yaml:2:3: listen: unknown key "htp" (did you mean "http"?)`,
		`b.yaml:4:17: server.read_timeout: expected a duration such as "250ms", "15s" or "1m30s", found "15"`,
		`b.yaml:5:21: server.max_header_bytes: expected an integer, found a list`,
		`b.yaml:8:5: routes[0]: unknown key "servce" (did you mean "service"?)`,
		`b.yaml:11:3: log: duplicate key "level" (first at line 10)`,
	})
}

func TestEmptyFiles(t *testing.T) {
	for _, tt := range []struct{ name, src string }{
		{"an empty file is a valid default config", ""},
		{"a file of comments is a valid default config", "# nothing yet\n"},
		{"an empty document marker is a valid default config", "---\n"},
		{"empty sections are valid", "listen:\nroutes:\nservices:\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("b.yaml", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if f.HTTPAddr() != DefaultHTTPAddr || f.AdminAddr() != DefaultAdminAddr {
				t.Errorf("addresses = %q, %q; want the defaults", f.HTTPAddr(), f.AdminAddr())
			}
			if _, err := f.Gateway(); err != nil {
				t.Errorf("Gateway: %v", err)
			}
		})
	}
}

func TestPointersDistinguishAbsentFromEmpty(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		wantNil   bool
	}{
		{"an absent key leaves the pointer nil", "listen: {}\n", true},
		{"an empty value leaves the pointer nil", "listen:\n  http:\n", true},
		{"an explicit empty string is kept", "listen: {http: \"\"}\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("b.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Listen.HTTP == nil; got != tt.wantNil {
				t.Errorf("Listen.HTTP == nil is %v, want %v", got, tt.wantNil)
			}
		})
	}
}

func TestDecodingFillsEveryKindOfField(t *testing.T) {
	src := `server:
  max_header_bytes: 0x10000
  trusted_proxies: [10.0.0.0/8]
  read_timeout: 1m30s
upstream:
  max_response_header_bytes: 2_000_000
log:
  access_log: false
routes:
  - path: /pets
    service: pets
    methods: [GET, HEAD]
    headers: {X-Env: prod}
    strip_prefix: true
    websocket: true
services:
  pets:
    timeout: 2s
    balancer: consistent_hash
    hash_on: "header:X-User"
`
	f, err := Parse("b.yaml", []byte(withPets(src)))
	if err != nil {
		t.Fatal(err)
	}
	r := f.Routes[0]
	switch {
	case f.Server.MaxHeaderBytes != 0x10000:
		t.Errorf("MaxHeaderBytes = %d", f.Server.MaxHeaderBytes)
	case f.Upstream.MaxResponseHeaderBytes != 2_000_000:
		t.Errorf("MaxResponseHeaderBytes = %d", f.Upstream.MaxResponseHeaderBytes)
	case f.ReadTimeout() != 90*time.Second:
		t.Errorf("ReadTimeout = %v", f.ReadTimeout())
	case f.AccessLog():
		t.Error("AccessLog() = true, want false")
	case !r.StripPrefix || !r.WebSocket || r.Headers["X-Env"] != "prod" || strings.Join(r.Methods, ",") != "GET,HEAD":
		t.Errorf("route = %+v", r)
	case *f.Services["pets"].Timeout != Duration(2*time.Second) || *f.Services["pets"].HashOn != "header:X-User":
		t.Errorf("services.pets = %+v", f.Services["pets"])
	}
}

func TestPositionsAreRecordedByPath(t *testing.T) {
	src := `routes:
  - path: /a
    service: pets
  - service: pets
    path: /b
services:
  pets:
    timeout: 2s
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"]
`
	f, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]position{
		"routes[1].path":                   {5, 11},
		"routes[1]":                        {4, 5},
		"services.pets":                    {7, 3},
		"services.pets.timeout":            {8, 14},
		"discovery.static[0].instances[2]": {12, 55},
		"routes[1].host":                   {4, 5}, // absent: the enclosing route
	} {
		if got := f.at(path); got != want {
			t.Errorf("at(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	t.Run("a file on disk is named by its path in problems", func(t *testing.T) {
		path := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(path, []byte("lisen: {}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		want := path + `:1:1: unknown key "lisen" (did you mean "listen"?)`
		if err == nil || err.Error() != want {
			t.Errorf("Load = %v, want %s", err, want)
		}
	})
	t.Run("a missing file is an fs error, not a problem in a file", func(t *testing.T) {
		_, err := Load(filepath.Join(dir, "missing.yaml"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load = %v, want fs.ErrNotExist", err)
		}
	})
}

func TestABillionLaughsDocumentIsRefusedWithoutExpandingIt(t *testing.T) {
	src := `discovery:
  static: [{service: pets, instances: ["127.0.0.1:1"]}]
routes:
  - path: /a
    service: pets
    methods: &a [GET]
  - path: /b
    service: pets
    methods: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  - path: /c
    service: pets
    methods: [*b, *b, *b, *b, *b, *b, *b, *b, *b]
`
	got := problemsOf(t, src)
	if len(got) != 18 {
		t.Errorf("got %d problems, want one per alias (18):\n  %s", len(got), strings.Join(got, "\n  "))
	}
	checkContains(t, got, `b.yaml:9:18: routes[1].methods[0]: YAML aliases (*a) are not supported; write the value out`)
}
