package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCertPair writes a self-signed certificate for localhost valid from nb
// to na, and its key, into dir as NAME.pem and NAME-key.pem.
func writeCertPair(t *testing.T, dir, name string, nb, na time.Time) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: nb, NotAfter: na,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	for path, b := range map[string]*pem.Block{cert: {Type: "CERTIFICATE", Bytes: der}, key: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key
}

// TestCheckAndServeReachTheSameVerdict holds `bulwark check` and `bulwark
// serve` to one verdict on a corpus of configs whose files are broken: where
// check refuses a file with file:line:column: reason, serve refuses to start
// with the same lines; where check only warns (a certificate close to its
// expiry) and exits 0, serve starts and logs the same warning at the same
// position. Before, check printed "ok" for all of them and serve failed with a
// bare error naming no line.
func TestCheckAndServeReachTheSameVerdict(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	good, goodKey := writeCertPair(t, dir, "good", now.Add(-time.Hour), now.Add(90*24*time.Hour))
	_, otherKey := writeCertPair(t, dir, "other", now.Add(-time.Hour), now.Add(90*24*time.Hour))
	expired, expiredKey := writeCertPair(t, dir, "expired", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	soon, soonKey := writeCertPair(t, dir, "soon", now.Add(-time.Hour), now.Add(10*24*time.Hour+time.Hour))
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("-----BEGIN NOTHING-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")

	// render writes the config; line 7 is the certificate, line 8 its key.
	// The HTTPS listener makes serve load the certificate as it always did.
	https := freeAddr(t)
	render := func(p ports, cert, key, extra string) string {
		return fmt.Sprintf(`listen:
  http: %q
  https: %q
tls:
  certificates:
    -
      cert: %s
      key: %s
admin:
  listen: %q
log: {format: json, access_log: false}
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9"]
routes:
  - path: /pets
    service: pets
%s`, p.HTTP, https, cert, key, p.Admin, extra)
	}
	for _, tt := range []struct {
		name       string
		cert, key  string
		extra      string
		problem    string // "line:column: reason" that both commands must print
		warning    string // the same, for a warning: check exits 0, serve starts
		warnReason string
	}{
		{name: "a missing certificate", cert: missing, key: goodKey,
			problem: "7:13: tls.certificates[0].cert: open " + missing + ": no such file or directory"},
		{name: "a certificate with another's key", cert: good, key: otherKey,
			problem: "8:12: tls.certificates[0].key: " + otherKey + " is not the key of " + good + ": private key does not match public key"},
		{name: "a key that cannot be read as a key", cert: good, key: garbage,
			problem: "8:12: tls.certificates[0].key: " + garbage + " is not the key of " + good},
		{name: "an upstream CA that is not PEM", cert: good, key: goodKey,
			extra:   "services:\n  pets:\n    tls: {ca: " + garbage + "}\n",
			problem: "21:15: services.pets.tls.ca: " + garbage + " holds no PEM certificate"},
		{name: "a missing token file", cert: good, key: goodKey,
			problem: "10:15: admin.token_file: open " + missing + ": no such file or directory"},
		{name: "an expired certificate", cert: expired, key: expiredKey,
			problem: "7:13: tls.certificates[0].cert: " + expired + " expired on " + now.Add(-24*time.Hour).UTC().Format(time.DateOnly)},
		{name: "a certificate that expires in 10 days warns only", cert: soon, key: soonKey,
			warning: "7:13", warnReason: "tls.certificates[0].cert: " + soon + " expires on " +
				now.Add(10*24*time.Hour+time.Hour).UTC().Format(time.DateOnly) + ", in 10 days: renew it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := func(p ports) string {
				s := render(p, tt.cert, tt.key, tt.extra)
				if strings.Contains(tt.problem, "admin.token_file") {
					s = strings.Replace(s, "admin:\n", "admin:\n  token_file: "+missing+"\n", 1)
				}
				return s
			}
			if tt.problem != "" {
				path := filepath.Join(t.TempDir(), "bulwark.yaml")
				if err := os.WriteFile(path, []byte(cfg(ports{HTTP: "127.0.0.1:0", Admin: "127.0.0.1:0"})), 0o600); err != nil {
					t.Fatal(err)
				}
				want := path + ":" + tt.problem
				for _, cmd := range []string{"check", "serve"} {
					_, errOut, code := runBulwark(t, cmd, "-c", path)
					if code != 1 {
						t.Errorf("bulwark %s exited %d, want 1; stderr:\n%s", cmd, code, errOut)
					}
					if !hasLinePrefix(errOut, want) {
						t.Errorf("bulwark %s does not print a line starting with\n  %s\nstderr:\n%s", cmd, want, errOut)
					}
				}
				return
			}
			var path string
			pr := startServe(t, func(p ports) string { return cfg(p) })
			path = pr.ConfigPath
			out, errOut, code := runBulwark(t, "check", "-c", path)
			if code != 0 || strings.TrimSpace(out) != path+": ok" {
				t.Errorf("bulwark check exited %d printing %q, want 0 and %q; stderr:\n%s", code, out, path+": ok", errOut)
			}
			if want := path + ":" + tt.warning + ": warning: " + tt.warnReason; strings.TrimSpace(errOut) != want {
				t.Errorf("bulwark check stderr:\n  %s\nwant:\n  %s", strings.TrimSpace(errOut), want)
			}
			found := false
			for line := range strings.Lines(pr.stderr.String()) {
				var rec struct{ Level, Msg, At, Reason string }
				if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "config warning" {
					found = rec.Level == "WARN" && rec.At == path+":"+tt.warning && rec.Reason == tt.warnReason
				}
			}
			if !found {
				t.Errorf("bulwark serve did not log the warning at %s:%s: %s; stderr:\n%s", path, tt.warning, tt.warnReason, pr.stderr.String())
			}
			pr.kill()
		})
	}
}

// hasLinePrefix reports whether some line of out starts with prefix.
func hasLinePrefix(out, prefix string) bool {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}
