package main

import (
	gotls "crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/bulwark-gw/bulwark/config"
	bwtls "github.com/bulwark-gw/bulwark/tls"
	"github.com/prometheus/client_golang/prometheus"
)

// loadCertificates builds the HTTPS listener's certificate store, generating
// the development certificate when the file asks for it (and prints its
// fingerprint, once, to pin or trust it).
func (rt *process) loadCertificates(f *config.File, stderr io.Writer) error {
	if f.Listen.HTTPS == "" {
		return nil
	}
	cfg, dev, dataDir := f.TLSConfig()
	if dev {
		pair, fp, err := bwtls.DevPair(dataDir)
		if err != nil {
			return fmt.Errorf("development certificate: %w", err)
		}
		cfg.Pairs = append(cfg.Pairs, pair)
		fmt.Fprintf(stderr, "bulwark: self-signed certificate for localhost: %s (%s)\n", pair.Cert, fp)
	}
	cfg.Logger = rt.log.With("component", "tls")
	store, err := bwtls.NewStore(cfg)
	if err != nil {
		return err
	}
	rt.certs = store
	rt.reg.MustRegister(certCollector{store})
	return nil
}

// httpsServer listens on addr with the store's TLS configuration; HTTP/2 is
// negotiated by ALPN, with Go's stream limits tightened for a gateway.
func (rt *process) httpsServer(addr, minVersion string, srv *http.Server) (net.Listener, *http.Server, error) {
	cfg, err := rt.certs.ServerConfig(minVersion)
	if err != nil {
		return nil, nil, err
	}
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening for https: %w", err)
	}
	srv.TLSConfig = cfg
	srv.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: 250, MaxReadFrameSize: 1 << 20}
	return gotls.NewListener(raw, cfg), srv, nil
}

// withHSTS adds Strict-Transport-Security to every HTTPS answer.
func withHSTS(h http.Handler, maxAge int) http.Handler {
	if maxAge <= 0 {
		return h
	}
	value := "max-age=" + strconv.Itoa(maxAge)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", value)
		h.ServeHTTP(w, r)
	})
}

// redirectToHTTPS answers every plain-HTTP request with 308 to the same URL on
// the HTTPS listener's port (308 keeps the method and body, unlike 301).
func redirectToHTTPS(httpsAddr string) http.Handler {
	_, port, _ := net.SplitHostPort(httpsAddr)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if port != "443" {
			host = net.JoinHostPort(host, port)
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// certificatesView is served at /api/v1/certificates.
func (rt *process) certificatesView() any {
	if rt.certs == nil {
		return []bwtls.Certificate{}
	}
	return rt.certs.Certificates()
}

// certCollector exports each certificate's expiry, so an alert can fire weeks
// before a rotation that did not happen.
type certCollector struct{ s *bwtls.Store }

var certExpiryDesc = prometheus.NewDesc("bulwark_tls_certificate_expiry_timestamp_seconds",
	"When each served certificate expires (Unix time), by file and first name.", []string{"source", "name"}, nil)

func (c certCollector) Describe(ch chan<- *prometheus.Desc) { ch <- certExpiryDesc }

func (c certCollector) Collect(ch chan<- prometheus.Metric) {
	for _, cert := range c.s.Certificates() {
		name := ""
		if len(cert.Names) > 0 {
			name = cert.Names[0]
		}
		ch <- prometheus.MustNewConstMetric(certExpiryDesc, prometheus.GaugeValue,
			float64(cert.NotAfter.Unix()), cert.Source, name)
	}
}
