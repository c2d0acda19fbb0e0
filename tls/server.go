package tls

import (
	gotls "crypto/tls"
	"fmt"
)

// ServerConfig is the listener's TLS configuration: certificates by SNI from
// the store, HTTP/2 and HTTP/1.1 by ALPN, TLS 1.2 or later (minVersion "1.3"
// for 1.3 only), and on 1.2 only forward-secret AEAD suites: no RSA key
// exchange, no CBC (testssl.sh's findings on Go's wider defaults).
func (s *Store) ServerConfig(minVersion string) (*gotls.Config, error) {
	v, err := ParseVersion(minVersion)
	if err != nil {
		return nil, err
	}
	return &gotls.Config{
		GetCertificate: s.GetCertificate,
		MinVersion:     v,
		NextProtos:     []string{"h2", "http/1.1"},
		CipherSuites: []uint16{
			gotls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, gotls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			gotls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, gotls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			gotls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, gotls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
	}, nil
}

// ParseVersion reads "1.2" or "1.3" ("" is 1.2).
func ParseVersion(s string) (uint16, error) {
	switch s {
	case "", "1.2":
		return gotls.VersionTLS12, nil
	case "1.3":
		return gotls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("tls: min_version %q: want 1.2 or 1.3", s)
}
