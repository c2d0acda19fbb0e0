package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// certFor writes a fresh self-signed certificate for names to cert/key,
// atomically (as cert-manager and certbot replace files), and returns the
// serial number that tells it apart.
func certFor(t *testing.T, cert, key string, names ...string) *big.Int {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial := big.NewInt(time.Now().UnixNano())
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: names,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(k)
	// The key first, then the certificate: a reload between the two renames
	// sees a mismatched pair, keeps the previous certificate, and picks the
	// new one up on the next event.
	writeAtomic(t, key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	writeAtomic(t, cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return serial
}

func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func httpsSetup(t *testing.T) (*proc, string, string, *upstream) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "site.pem"), filepath.Join(dir, "site-key.pem")
	certFor(t, cert, key, "localhost")
	up := newUpstream(t, "secure")
	var httpsAddr string
	pr := startServe(t, func(p ports) string {
		httpsAddr = freeAddr(t)
		return fmt.Sprintf("listen:\n  http: %q\n  https: %q\nadmin:\n  listen: %q\n  token: %q\n"+
			"tls:\n  certificates:\n    - {cert: %q, key: %q}\n  redirect_http: true\n  hsts: 31536000\n"+
			"log: {level: info, access_log: false}\n"+
			"discovery:\n  static:\n    - service: s\n      instances: [%q]\nroutes:\n  - path: /\n    service: s\n",
			p.HTTP, httpsAddr, p.Admin, adminToken, cert, key, up.Addr())
	})
	return pr, httpsAddr, cert, up
}

func tlsClient(keepAlive bool) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // a test certificate
		ForceAttemptHTTP2: true, DisableKeepAlives: !keepAlive,
		// Plain-HTTP answers are read as they are (the redirect is the point).
	}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestHTTPSServesHTTP2WithHSTSAndRedirectsPlainHTTP(t *testing.T) {
	pr, httpsAddr, _, up := httpsSetup(t)
	c := tlsClient(true)
	defer c.CloseIdleConnections()
	res, err := c.Get("https://" + httpsAddr + "/things?a=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(string(body), "upstream secure GET /things") {
		t.Fatalf("HTTPS: %d %q", res.StatusCode, body)
	}
	if res.Proto != "HTTP/2.0" {
		t.Errorf("protocol %s, want HTTP/2.0 by ALPN", res.Proto)
	}
	if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("HSTS = %q", got)
	}
	if r := up.Requests(); len(r) != 1 || r[0].Header.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("the upstream did not see X-Forwarded-Proto https: %+v", r)
	}

	res, err = c.Get(pr.url("/things?a=1"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	_, port, _ := net.SplitHostPort(httpsAddr)
	if want := "https://127.0.0.1:" + port + "/things?a=1"; res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != want {
		t.Errorf("plain HTTP: %d to %q, want 308 to %q", res.StatusCode, res.Header.Get("Location"), want)
	}

	var certs []struct {
		Names    []string  `json:"names"`
		NotAfter time.Time `json:"not_after"`
	}
	adminJSON(t, pr, "/api/v1/certificates", &certs)
	if len(certs) != 1 || certs[0].Names[0] != "localhost" || time.Until(certs[0].NotAfter) < time.Hour {
		t.Errorf("/api/v1/certificates = %+v", certs)
	}
	if m := do(t, newClient(t), "GET", pr.adminURL("/metrics"), nil).Body; !strings.Contains(m,
		`bulwark_tls_certificate_expiry_timestamp_seconds{name="localhost",source=`) {
		t.Error("no certificate expiry metric")
	}
	pr.checkNoRace()
}

// TestCertificateRotationUnderLoad replaces the certificate 10 times while
// clients send requests back to back, each on a new connection (so each needs
// a handshake): no request fails, and the new certificate is served. Each
// rotation waits until a few handshakes followed the previous one, so the
// rotations interleave with the load however slow the machine is; the test
// counts requests and never expects a rate.
func TestCertificateRotationUnderLoad(t *testing.T) {
	pr, httpsAddr, cert, _ := httpsSetup(t)
	key := strings.TrimSuffix(cert, ".pem") + "-key.pem"
	const (
		clients     = 4
		rotations   = 10
		perRotation = 5 // requests completed after each rotation before the next
	)
	var (
		completed atomic.Int64
		mu        sync.Mutex
		failed    []string
		wg        sync.WaitGroup
	)
	stop := make(chan struct{})
	for range clients {
		c := tlsClient(false)
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := c.Get("https://" + httpsAddr + "/r")
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				if err == nil && res.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", res.StatusCode)
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, err.Error())
					mu.Unlock()
				}
				completed.Add(1)
			}
		})
	}
	var last *big.Int
	for i := range rotations {
		last = certFor(t, cert, key, "localhost")
		mark := completed.Load()
		if !eventually(30*time.Second, func() bool { return completed.Load() >= mark+perRotation }) {
			close(stop)
			wg.Wait()
			t.Fatalf("rotation %d: fewer than %d requests completed in 30 s", i+1, perRotation)
		}
	}
	close(stop)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d of %d requests failed during certificate rotation; first: %s", len(failed), completed.Load(), failed[0])
	}
	if !eventually(30*time.Second, func() bool {
		conn, err := tls.Dial("tcp", httpsAddr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test
		if err != nil {
			return false
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Cmp(last) == 0
	}) {
		t.Error("the last rotated certificate is not the one served")
	}
	var certs []json.RawMessage
	adminJSON(t, pr, "/api/v1/certificates", &certs)
	pr.checkNoRace()
}

// TestH2CWhenConfigured: with listen.h2c, the plain listener speaks HTTP/2 to
// a client with prior knowledge; without it, such a client is refused.
func TestH2CWhenConfigured(t *testing.T) {
	up := newUpstream(t, "h2c")
	for _, on := range []bool{true, false} {
		pr := startServe(t, func(p ports) string {
			return fmt.Sprintf("listen:\n  http: %q\n  h2c: %v\nadmin:\n  listen: %q\n  token: %q\n"+
				"discovery:\n  static:\n    - service: s\n      instances: [%q]\nroutes:\n  - path: /\n    service: s\n",
				p.HTTP, on, p.Admin, adminToken, up.Addr())
		})
		tr := &http.Transport{Protocols: new(http.Protocols)}
		tr.Protocols.SetUnencryptedHTTP2(true)
		c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		res, err := c.Get(pr.url("/x"))
		if !on {
			if err == nil {
				res.Body.Close()
				t.Errorf("h2c off: a prior-knowledge HTTP/2 request got %s %d", res.Proto, res.StatusCode)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Proto != "HTTP/2.0" || !strings.HasPrefix(string(body), "upstream h2c GET /x") {
			t.Errorf("h2c on: %s %d %q", res.Proto, res.StatusCode, body)
		}
		tr.CloseIdleConnections()
		pr.checkNoRace()
	}
}
