package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// testCA issues certificates for the upstream TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a leaf for a server name (DNS) or a client (CN).
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mtlsUpstream is an HTTPS upstream that requires a client certificate from ca
// and answers with the client's name and the protocol.
func mtlsUpstream(t *testing.T, ca *testCA, http2 bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName + " " + r.Proto))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "payments.internal", x509.ExtKeyUsageServerAuth)},
		ClientCAs: ca.pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.EnableHTTP2 = http2
	srv.Config.ErrorLog = discardLog()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func tlsGateway(t *testing.T, addr string, cfg *tls.Config, http2 bool) *harness {
	t.Helper()
	p := policy(2*time.Second, 2*time.Second, policies.Balancer{})
	return newHarness(t, Config{
		Routes:      []Route{{Path: "/", Service: "payments"}},
		UpstreamTLS: map[string]*UpstreamTLS{"payments": {Config: cfg, HTTP2: http2}},
		Policies:    map[string]policies.Policy{"payments": p},
	}, snapshot(t, map[string][]string{"payments": {addr}}))
}

func TestUpstreamMutualTLS(t *testing.T) {
	ca := newTestCA(t)
	client := ca.issue(t, "bulwark-gateway", x509.ExtKeyUsageClientAuth)
	good := &tls.Config{RootCAs: ca.pool, ServerName: "payments.internal", Certificates: []tls.Certificate{client},
		MinVersion: tls.VersionTLS12}
	for _, tt := range []struct {
		name   string
		cfg    func() *tls.Config
		http2  bool
		status int
		body   string
		kind   string
	}{
		{"the gateway presents its client certificate and verifies the instance", func() *tls.Config { return good.Clone() },
			false, 200, "bulwark-gateway HTTP/1.1", ""},
		{"HTTP/2 to the instance when asked", func() *tls.Config { return good.Clone() }, true, 200, "bulwark-gateway HTTP/2.0", ""},
		{"without a client certificate the instance refuses: 502", func() *tls.Config {
			c := good.Clone()
			c.Certificates = nil
			return c
		}, false, 502, "", "tls"},
		{"an instance certificate from another CA is a 502, never trusted", func() *tls.Config {
			c := good.Clone()
			c.RootCAs = newTestCA(t).pool
			return c
		}, false, 502, "", "tls"},
		{"a server name the certificate does not cover is a 502", func() *tls.Config {
			c := good.Clone()
			c.ServerName = "billing.internal"
			return c
		}, false, 502, "", "tls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := mtlsUpstream(t, ca, tt.http2)
			h := tlsGateway(t, up.Listener.Addr().String(), tt.cfg(), tt.http2)
			res, body := h.get(t, "/pay")
			if res.StatusCode != tt.status || (tt.body != "" && string(body) != tt.body) {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, body, tt.status, tt.body)
			}
			if tt.kind != "" {
				eventually(t, "the failure to be counted as "+tt.kind, func() bool {
					v, _ := metricValue(t, h.reg, "bulwark_upstream_errors_total", map[string]string{"kind": tt.kind})
					return v >= 1
				})
				found := false
				for _, l := range h.logs.lines(t, "gateway") {
					if l["msg"] == "upstream failed" && l["kind"] == "tls" && strings.Contains(l["err"].(string), "tls") {
						found = true
					}
				}
				if !found {
					t.Errorf("no 'upstream failed' log line with kind tls and the TLS error: %v", h.logs.lines(t, "gateway"))
				}
			}
		})
	}
}
