package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writePair writes a self-signed certificate valid from nb to na, and its key.
func writePair(t *testing.T, dir, name string, nb, na time.Time) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	write(t, cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	write(t, key, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return cert, key
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// filesOf parses src, which must be valid, and returns what CheckFiles finds.
func filesOf(t *testing.T, src string, now time.Time) (problems, warnings []string) {
	t.Helper()
	f, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	ws, err := f.CheckFiles(now)
	var ps Problems
	if err != nil && !errors.As(err, &ps) {
		t.Fatalf("CheckFiles returned %T (%v), want Problems", err, err)
	}
	for _, p := range ps {
		problems = append(problems, p.String())
	}
	for _, w := range ws {
		warnings = append(warnings, w.String())
	}
	return problems, warnings
}

func TestCheckFilesLocatesEveryBrokenFile(t *testing.T) {
	now := time.Now()
	dir := t.TempDir()
	good, goodKey := writePair(t, dir, "good", now.Add(-time.Hour), now.Add(90*24*time.Hour))
	_, otherKey := writePair(t, dir, "other", now.Add(-time.Hour), now.Add(90*24*time.Hour))
	expired, expiredKey := writePair(t, dir, "expired", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	future, futureKey := writePair(t, dir, "future", now.Add(24*time.Hour), now.Add(48*time.Hour))
	soon, soonKey := writePair(t, dir, "soon", now.Add(-time.Hour), now.Add(10*24*time.Hour+time.Hour))
	garbage := filepath.Join(dir, "garbage.pem")
	write(t, garbage, "not PEM at all\n")
	empty := filepath.Join(dir, "empty-token")
	write(t, empty, " \n")
	missing := filepath.Join(dir, "missing.pem")

	pair := func(cert, key string) string {
		return "tls:\n  certificates:\n    - cert: " + cert + "\n      key: " + key + "\n"
	}
	for _, tt := range []struct {
		name             string
		src              string
		problems, warned []string
	}{
		{name: "a good pair passes", src: pair(good, goodKey)},
		{name: "a missing certificate is reported at cert", src: pair(missing, goodKey),
			problems: []string{"b.yaml:3:13: tls.certificates[0].cert: open " + missing + ": no such file or directory"}},
		{name: "a missing key is reported at key", src: pair(good, missing),
			problems: []string{"b.yaml:4:12: tls.certificates[0].key: open " + missing + ": no such file or directory"}},
		{name: "a key of another certificate is reported at key", src: pair(good, otherKey),
			problems: []string{"b.yaml:4:12: tls.certificates[0].key: " + otherKey + " is not the key of " + good + ": private key does not match public key"}},
		{name: "a key that is not PEM is reported at key", src: pair(good, garbage),
			problems: []string{"b.yaml:4:12: tls.certificates[0].key: " + garbage + " is not the key of " + good + ": failed to find any PEM data in key input"}},
		{name: "a certificate that is not PEM is reported at cert", src: pair(garbage, goodKey),
			problems: []string{"b.yaml:3:13: tls.certificates[0].cert: " + garbage + ": holds no PEM certificate"}},
		{name: "an expired certificate is an error", src: pair(expired, expiredKey),
			problems: []string{"b.yaml:3:13: tls.certificates[0].cert: " + expired + " expired on " + now.Add(-24*time.Hour).UTC().Format(time.DateOnly)}},
		{name: "a certificate not valid yet is an error", src: pair(future, futureKey),
			problems: []string{"b.yaml:3:13: tls.certificates[0].cert: " + future + " is not valid before"}},
		{name: "a certificate that expires in 10 days is a warning only", src: pair(soon, soonKey),
			warned: []string{"b.yaml:3:13: tls.certificates[0].cert: " + soon + " expires on " + now.Add(10*24*time.Hour+time.Hour).UTC().Format(time.DateOnly) + ", in 10 days: renew it"}},
		{name: "a broken pair in tls.dir is reported at tls.dir", src: "tls:\n  dir: " + dir + "\n",
			problems: []string{"b.yaml:2:8: tls.dir: " + expired + " expired on", "b.yaml:2:8: tls.dir: " + future + " is not valid before"},
			warned:   []string{"b.yaml:2:8: tls.dir: " + soon + " expires on"}},
		{name: "a missing tls.dir is reported", src: "tls:\n  dir: " + missing + "\n",
			problems: []string{"b.yaml:2:8: tls.dir: reading certificate folder: open " + missing}},
		{name: "a CA bundle without a certificate is reported at ca", src: "services:\n  pets:\n    tls: {ca: " + garbage + "}\n" +
			"discovery: {static: [{service: pets, instances: [\"127.0.0.1:9\"]}]}\n",
			problems: []string{"b.yaml:3:15: services.pets.tls.ca: " + garbage + " holds no PEM certificate"}},
		{name: "an upstream client key that does not match is reported at its key", src: "defaults:\n  tls: {cert: " + good + ", key: " + otherKey + "}\n",
			problems: []string{"b.yaml:2:" + strconv.Itoa(22+len(good)) + ": defaults.tls.key: " + otherKey + " is not the key of " + good}},
		{name: "a missing admin token file is reported", src: "admin: {token_file: " + missing + "}\n",
			problems: []string{"b.yaml:1:21: admin.token_file: open " + missing + ": no such file or directory"}},
		{name: "an empty admin token file is reported", src: "admin: {token_file: " + empty + "}\n",
			problems: []string{"b.yaml:1:21: admin.token_file: " + empty + " is empty"}},
		{name: "a missing Consul CA file is reported", src: "discovery:\n  consul: {ca_file: " + missing + "}\n",
			problems: []string{"b.yaml:2:21: discovery.consul.ca_file: open " + missing}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			problems, warnings := filesOf(t, tt.src, now)
			matchPrefixes(t, "problems", problems, tt.problems)
			matchPrefixes(t, "warnings", warnings, tt.warned)
		})
	}
}

// matchPrefixes asserts that got has one line per want, each starting with it.
func matchPrefixes(t *testing.T, what string, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("%s:\n  %s\nwant lines starting with:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
