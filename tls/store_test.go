package tls

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	gotls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeCert writes a self-signed certificate for names, valid from nb to na,
// as NAME.pem and NAME-key.pem in dir, and returns the pair.
func writeCert(t *testing.T, dir, file string, names []string, nb, na time.Time) Pair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: nb, NotAfter: na, DNSNames: names, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	p := Pair{Cert: filepath.Join(dir, file+".pem"), Key: filepath.Join(dir, file+"-key.pem")}
	must(t, os.WriteFile(p.Key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	must(t, os.WriteFile(p.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return p
}

func valid(t *testing.T, dir, file string, names ...string) Pair {
	return writeCert(t, dir, file, names, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// serve runs a TLS listener with the store's server config; it answers
// nothing but completes handshakes.
func serve(t *testing.T, s *Store, minVersion string) string {
	t.Helper()
	cfg, err := s.ServerConfig(minVersion)
	must(t, err)
	ln, err := gotls.Listen("tcp", "127.0.0.1:0", cfg)
	must(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*gotls.Conn).Handshake()
				_, _ = c.Read(make([]byte, 1))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// handshake connects with SNI name and returns the served certificate's names.
func handshake(t *testing.T, addr, name string, cfg *gotls.Config) (gotls.ConnectionState, error) {
	t.Helper()
	if cfg == nil {
		cfg = &gotls.Config{}
	}
	cfg.ServerName, cfg.InsecureSkipVerify = name, true
	c, err := gotls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return gotls.ConnectionState{}, err
	}
	defer c.Close()
	return c.ConnectionState(), nil
}

func servedNames(t *testing.T, addr, name string) string {
	t.Helper()
	st, err := handshake(t, addr, name, nil)
	must(t, err)
	return strings.Join(st.PeerCertificates[0].DNSNames, ",")
}

func TestSNIPicksExactThenWildcardThenDefault(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(Config{Pairs: []Pair{
		valid(t, dir, "default", "default.example"),
		valid(t, dir, "wild", "*.example.com"),
		valid(t, dir, "api", "api.example.com"),
	}})
	must(t, err)
	addr := serve(t, s, "")
	for _, tt := range []struct{ name, sni, want string }{
		{"an exact name wins over a wildcard", "api.example.com", "api.example.com"},
		{"a wildcard covers one label", "shop.example.com", "*.example.com"},
		{"a wildcard does not cover two labels: the default serves", "a.b.example.com", "default.example"},
		{"an unknown name gets the default certificate", "other.test", "default.example"},
		{"no SNI at all gets the default certificate", "", "default.example"},
		{"names match case-insensitively", "API.Example.COM", "api.example.com"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := servedNames(t, addr, tt.sni); got != tt.want {
				t.Errorf("SNI %q served %q, want %q", tt.sni, got, tt.want)
			}
		})
	}
}

func TestBadCertificatesAreRefusedAtLoad(t *testing.T) {
	dir := t.TempDir()
	expired := writeCert(t, dir, "old", []string{"old.test"}, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
	a, b := valid(t, dir, "a", "a.test"), valid(t, dir, "b", "b.test")
	for _, tt := range []struct {
		name string
		pair Pair
		want string
	}{
		{"an expired certificate", expired, "expired"},
		{"a key that does not match the certificate", Pair{Cert: a.Cert, Key: b.Key}, "private key does not match"},
		{"a missing file", Pair{Cert: filepath.Join(dir, "nope.pem"), Key: a.Key}, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewStore(Config{Pairs: []Pair{tt.pair}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestAFolderOfPairsIsLoaded(t *testing.T) {
	dir := t.TempDir()
	valid(t, dir, "a", "a.test")
	valid(t, dir, "b", "b.test")
	must(t, os.WriteFile(filepath.Join(dir, "lonely.pem"), []byte("no key beside me"), 0o644))
	s, err := NewStore(Config{Dir: dir})
	must(t, err)
	if got := len(s.Certificates()); got != 2 {
		t.Fatalf("loaded %d certificates from the folder, want 2", got)
	}
	addr := serve(t, s, "")
	if got := servedNames(t, addr, "b.test"); got != "b.test" {
		t.Errorf("b.test served %q", got)
	}
}

func TestReloadSwapsCertificatesAndKeepsTheOldOnAFailure(t *testing.T) {
	dir := t.TempDir()
	p := valid(t, dir, "site", "site.test")
	s, err := NewStore(Config{Pairs: []Pair{p}})
	must(t, err)
	addr := serve(t, s, "")
	first, _ := handshake(t, addr, "site.test", nil)

	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan error, 1)
	go func() { watched <- s.Watch(ctx) }()
	defer func() { cancel(); <-watched }()
	// Rotate in place until the watcher picks it up. Watch runs on its own
	// goroutine and sees only what is written after it has started watching
	// the folder, which no fixed sleep can promise on a busy machine; so the
	// rotation is written again every second (as a renewal job retrying
	// would) rather than once after a guessed pause. Nothing but the watcher
	// reloads the store here, so a broken watcher still fails at the deadline.
	const within = 20 * time.Second
	deadline := time.Now().Add(within)
	for i := 0; servedNames(t, addr, "site.test") != "site.test,www.site.test"; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("the rotated certificate was not picked up within %v", within)
		}
		if i%50 == 0 { // about once a second: 50 polls 20 ms apart
			valid(t, dir, "site", "site.test", "www.site.test") // rotated in place
		}
		time.Sleep(20 * time.Millisecond)
	}
	second, _ := handshake(t, addr, "site.test", nil)
	if first.PeerCertificates[0].Equal(second.PeerCertificates[0]) {
		t.Fatal("the same certificate before and after the rotation")
	}

	must(t, os.WriteFile(p.Cert, []byte("-----BEGIN CERTIFICATE-----\ngarbage\n"), 0o644))
	if errs := s.Reload(); len(errs) != 1 {
		t.Fatalf("reload of a broken file reported %v", errs)
	}
	if got := servedNames(t, addr, "site.test"); got != "site.test,www.site.test" {
		t.Errorf("after a broken file the served certificate is %q, want the previous one", got)
	}
	if c := s.Certificates()[0]; c.LoadError == "" {
		t.Error("the kept certificate does not say its file failed to load")
	}
}

func TestServerConfigRefusesOldTLSAndOffersHTTP2(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(Config{Pairs: []Pair{valid(t, dir, "a", "a.test")}})
	must(t, err)
	addr := serve(t, s, "")
	if _, err := handshake(t, addr, "a.test", &gotls.Config{MaxVersion: gotls.VersionTLS11}); err == nil {
		t.Error("a TLS 1.1 client completed a handshake")
	}
	st, err := handshake(t, addr, "a.test", &gotls.Config{NextProtos: []string{"h2", "http/1.1"}})
	must(t, err)
	if st.NegotiatedProtocol != "h2" {
		t.Errorf("ALPN = %q, want h2", st.NegotiatedProtocol)
	}
	if _, err := handshake(t, addr, "a.test", &gotls.Config{MaxVersion: gotls.VersionTLS12,
		CipherSuites: []uint16{gotls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}}); err == nil {
		t.Error("a CBC suite was accepted on TLS 1.2")
	}
	only13 := serve(t, s, "1.3")
	if _, err := handshake(t, only13, "a.test", &gotls.Config{MaxVersion: gotls.VersionTLS12}); err == nil {
		t.Error("min_version 1.3 accepted TLS 1.2")
	}
	if _, err := s.ServerConfig("1.1"); err == nil {
		t.Error("min_version 1.1 accepted")
	}
}

func TestDevPairIsGeneratedOnceAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p, fp, err := DevPair(dir)
	must(t, err)
	p2, fp2, err := DevPair(dir)
	must(t, err)
	if p != p2 || fp != fp2 || !strings.HasPrefix(fp, "SHA256:") {
		t.Fatalf("second call: %v %s, first: %v %s", p2, fp2, p, fp)
	}
	s, err := NewStore(Config{Pairs: []Pair{p}})
	must(t, err)
	addr := serve(t, s, "")
	st, err := handshake(t, addr, "localhost", nil)
	must(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(st.PeerCertificates[0])
	if _, err := st.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool}); err != nil {
		t.Errorf("the dev certificate does not verify for localhost against itself: %v", err)
	}
	if info, _ := os.Stat(p.Key); info.Mode().Perm() != 0o600 {
		t.Errorf("the dev key is %v, want 0600", info.Mode().Perm())
	}
}
