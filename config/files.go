package config

import (
	gotls "crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	bwtls "github.com/bulwark-gw/bulwark/tls"
)

// ExpiryWarning is how close to its end a certificate's validity draws a
// warning from CheckFiles: 30 days, the renewal window of Let's Encrypt
// clients (certbot, Caddy) and what certificate-expiry alerts commonly use.
const ExpiryWarning = 30 * 24 * time.Hour

// CheckFiles opens every file the configuration names and checks it as the
// running gateway will use it: certificates and their keys (readable, PEM,
// matching, valid now), CA bundles (at least one PEM certificate), the
// certificates of tls.dir, and token files (readable; the admin one not empty).
// Each problem is located at the key that names the file, like Validate's, so
// `bulwark check`, `bulwark serve` and a reload, which all call it after
// Validate, refuse the same files with the same file:line:column.
//
// A certificate that expires within ExpiryWarning of now is not an error but
// a warning: the gateway can serve it today, and the operator has time to
// renew it. Validate stays pure (no file system); this is the part that is not.
func (f *File) CheckFiles(now time.Time) (warnings Problems, err error) {
	fc := &fileChecker{checker: checker{f: f}, now: now}
	t := f.TLS
	for i, p := range t.Certificates {
		path := indexPath("tls.certificates", i)
		if p.Cert != "" && p.Key != "" {
			fc.pair(path+".cert", path+".key", p.Cert, p.Key)
		}
	}
	if t.Dir != "" {
		pairs, err := bwtls.PairsIn(t.Dir)
		if err != nil {
			fc.report("tls.dir", "%v", unwrapTLS(err))
		}
		for _, p := range pairs {
			fc.pair("tls.dir", "tls.dir", p.Cert, p.Key)
		}
	}
	if a := f.Admin; a.TokenFile != "" {
		if b, err := os.ReadFile(a.TokenFile); err != nil {
			fc.report("admin.token_file", "%v", err)
		} else if strings.TrimSpace(string(b)) == "" {
			fc.report("admin.token_file", "%s is empty", a.TokenFile)
		}
	}
	if cs := f.Discovery.Consul; cs != nil {
		if cs.TokenFile != "" {
			if _, err := os.ReadFile(cs.TokenFile); err != nil {
				fc.report("discovery.consul.token_file", "%v", err)
			}
		}
		if cs.CAFile != "" {
			fc.ca("discovery.consul.ca_file", cs.CAFile)
		}
	}
	fc.upstreamTLS("defaults", f.Defaults.TLS)
	for _, name := range slices.Sorted(maps.Keys(f.Services)) {
		fc.upstreamTLS(keyPath("services", name), f.Services[name].TLS)
	}
	sortProblems(fc.warnings)
	return fc.warnings, asError(fc.probs)
}

// fileChecker is a checker that also collects warnings.
type fileChecker struct {
	checker
	now      time.Time
	warnings Problems
}

// warn records a warning about the value at path, as report records a problem.
func (fc *fileChecker) warn(path, format string, args ...any) {
	p := fc.f.at(path)
	fc.warnings = append(fc.warnings, Problem{
		File: fc.f.name, Line: p.line, Column: p.col,
		Msg: where(path) + ": " + fmt.Sprintf(format, args...),
	})
}

// upstreamTLS checks a services.NAME.tls (or defaults.tls) block's files.
func (fc *fileChecker) upstreamTLS(p string, t *UpstreamTLS) {
	if t == nil {
		return
	}
	if t.CA != "" {
		fc.ca(p+".tls.ca", t.CA)
	}
	if t.Cert != "" && t.Key != "" {
		fc.pair(p+".tls.cert", p+".tls.key", t.Cert, t.Key)
	}
}

// ca checks a CA bundle: readable and holding at least one certificate, which
// is what x509.CertPool.AppendCertsFromPEM (and so the gateway) requires.
func (fc *fileChecker) ca(path, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		fc.report(path, "%v", err)
		return
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		fc.report(path, "%s holds no PEM certificate", file)
	}
}

// pair checks a certificate and its key as crypto/tls will load them, and
// reports each problem at the key that names the file at fault: an unreadable
// or broken certificate at certPath, an unreadable key or one that does not
// match the certificate at keyPath.
func (fc *fileChecker) pair(certPath, keyPath, cert, key string) {
	certPEM, certErr := os.ReadFile(cert)
	if certErr != nil {
		fc.report(certPath, "%v", certErr)
	}
	keyPEM, keyErr := os.ReadFile(key)
	if keyErr != nil {
		fc.report(keyPath, "%v", keyErr)
	}
	if certErr != nil {
		return
	}
	leaf, err := firstCertificate(certPEM)
	if err != nil {
		fc.report(certPath, "%s: %v", cert, err)
		return
	}
	if keyErr != nil {
		return
	}
	if _, err := gotls.X509KeyPair(certPEM, keyPEM); err != nil {
		fc.report(keyPath, "%s is not the key of %s: %v", key, cert, unwrapTLS(err))
		return
	}
	switch left := leaf.NotAfter.Sub(fc.now); {
	case left <= 0:
		fc.report(certPath, "%s expired on %s", cert, leaf.NotAfter.UTC().Format(time.DateOnly))
	case fc.now.Before(leaf.NotBefore):
		fc.report(certPath, "%s is not valid before %s", cert, leaf.NotBefore.UTC().Format(time.RFC3339))
	case left < ExpiryWarning:
		fc.warn(certPath, "%s expires on %s, in %d days: renew it", cert,
			leaf.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24))
	}
}

// firstCertificate parses the first CERTIFICATE block of a PEM file, the one
// crypto/tls serves as the leaf.
func firstCertificate(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("holds no PEM certificate")
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// unwrapTLS drops the "tls: " prefix crypto/tls and package tls put on their
// errors: the problem's path already says it is about TLS.
func unwrapTLS(err error) string {
	return strings.TrimPrefix(err.Error(), "tls: ")
}
