package config

import (
	"fmt"
	"strings"
	"testing"

	bwtls "github.com/bulwark-gw/bulwark/tls"
)

func TestTLSBlockProblems(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		want []string
	}{
		{"an HTTPS listener needs a certificate", "listen: {https: \"127.0.0.1:8443\"}\n",
			[]string{`listen.https: needs a certificate: tls.certificates, tls.dir, or tls.dev: true`}},
		{"a pair needs both files", "listen: {https: \"127.0.0.1:8443\"}\ntls:\n  certificates:\n    - {cert: a.pem}\n",
			[]string{`b.yaml:4:7: tls.certificates[0].key: the key file is required`}},
		{"old TLS versions are refused", "tls: {min_version: \"1.0\"}\n",
			[]string{`tls.min_version: unknown version "1.0" (want 1.2 or 1.3; older ones are not safe)`}},
		{"redirecting needs somewhere to go", "tls: {redirect_http: true}\n",
			[]string{`tls.redirect_http: there is no listen.https to redirect to`}},
		{"HTTPS cannot share the admin listener's address", "listen: {https: \"127.0.0.1:9901\"}\ntls: {dev: true}\n",
			[]string{`listen.https: 127.0.0.1:9901 is also another listener's address`}},
		{"a negative HSTS age is refused", "tls: {hsts: -1}\n", []string{`tls.hsts: must not be negative`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.src)
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n  %s", len(got), len(tt.want), strings.Join(got, "\n  "))
			}
			checkContains(t, got, tt.want...)
		})
	}
}

func TestTLSConfigTranslates(t *testing.T) {
	f, err := Parse("b.yaml", []byte("listen: {https: \"127.0.0.1:8443\"}\ntls:\n  dev: true\n  data_dir: /var/lib/bulwark\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, dev, dir := f.TLSConfig()
	if !dev || dir != "/var/lib/bulwark" || len(cfg.Pairs) != 0 {
		t.Errorf("dev-only: %+v dev=%v dir=%q", cfg, dev, dir)
	}
	f, err = Parse("b.yaml", []byte("listen: {https: \"127.0.0.1:8443\"}\ntls:\n  dev: true\n  certificates: [{cert: a.pem, key: a-key.pem}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, dev, _ := f.TLSConfig(); dev || len(cfg.Pairs) != 1 || cfg.Pairs[0].Key != "a-key.pem" {
		t.Errorf("a configured certificate must win over dev: %+v dev=%v", cfg, dev)
	}
}

func TestUpstreamTLSBlockTranslates(t *testing.T) {
	pair, _, err := bwtls.DevPair(t.TempDir()) // a self-signed CA certificate and its key
	if err != nil {
		t.Fatal(err)
	}
	src := withPets(fmt.Sprintf("services:\n  pets:\n    tls: {ca: %q, cert: %q, key: %q, server_name: pets.internal, http2: true}\n",
		pair.Cert, pair.Cert, pair.Key))
	f, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Gateway()
	if err != nil {
		t.Fatal(err)
	}
	u := cfg.UpstreamTLS["pets"]
	if u == nil || !u.HTTP2 || u.Config.RootCAs == nil || len(u.Config.Certificates) != 1 || u.Config.ServerName != "pets.internal" {
		t.Fatalf("UpstreamTLS = %+v", u)
	}

	missing := withPets("services:\n  pets:\n    tls: {ca: /nonexistent/ca.pem}\n")
	f, err = Parse("b.yaml", []byte(missing))
	if err != nil {
		t.Fatal(err) // valid: files are read when the configuration is built
	}
	if _, err := f.Gateway(); err == nil || !strings.Contains(err.Error(), "services.pets.tls") {
		t.Errorf("a missing CA file: err = %v", err)
	}
	if got := problemsOf(t, withPets("services:\n  pets:\n    tls: {cert: c.pem}\n")); len(got) != 1 ||
		!strings.Contains(got[0], "services.pets.tls: a client certificate needs both cert and key") {
		t.Errorf("a cert without a key: %q", got)
	}
}

func TestPortalPath(t *testing.T) {
	for src, want := range map[string]string{"": "/portal", "portal: {path: /docs/}\n": "/docs", "portal: {path: \"\"}\n": ""} {
		f, err := Parse("b.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.PortalPath(); got != want {
			t.Errorf("%q: PortalPath = %q, want %q", src, got, want)
		}
	}
	checkContains(t, problemsOf(t, "portal: {path: docs}\n"), `portal.path: "docs" must be an absolute path`)
}

func TestPortalPublicURL(t *testing.T) {
	checkContains(t, problemsOf(t, "portal: {public_url: \"api.example.com\"}\n"), `portal.public_url: "api.example.com" must be an http(s) URL`)
	if got := problemsOf(t, "portal: {public_url: \"https://api.example.com\"}\n"); len(got) != 0 {
		t.Errorf("a good public URL: %q", got)
	}
}

func TestPortalUsers(t *testing.T) {
	got := problemsOf(t, "portal:\n  users:\n    \"a:b\": \"long enough password\"\n    ada: short\n")
	checkContains(t, got, `"a:b" is not a user name`, `portal.users.ada: the password is shorter than 12 characters`)
}

func TestPortalInstances(t *testing.T) {
	for src, want := range map[string]bool{
		"": false,
		"portal: {users: {ada: \"long enough password\"}}\n":                    true,
		"portal: {instances: shown}\n":                                          true,
		"portal: {instances: hidden, users: {ada: \"long enough password\"}}\n": false,
	} {
		f, err := Parse("b.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.PortalShowsInstances(); got != want {
			t.Errorf("%q: PortalShowsInstances = %v, want %v", src, got, want)
		}
	}
	checkContains(t, problemsOf(t, "portal: {instances: yes}\n"), `portal.instances: "yes" must be "shown" or "hidden"`)
}

func TestPortalConsumersOnlyBehindUsers(t *testing.T) {
	for src, want := range map[string]bool{
		"":                             false,
		"portal: {instances: shown}\n": false,
		"portal: {instances: hidden, users: {ada: \"long enough password\"}}\n": true,
	} {
		f, err := Parse("b.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.PortalShowsConsumers(); got != want {
			t.Errorf("%q: PortalShowsConsumers = %v, want %v", src, got, want)
		}
	}
}
