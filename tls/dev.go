package tls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// devValidity is how long a development certificate lasts; one that is
// within a week of its end is replaced.
const devValidity = 90 * 24 * time.Hour

// DevPair returns a self-signed ECDSA certificate for localhost, 127.0.0.1
// and ::1 in dir (dev.pem, dev-key.pem), generating it when it is missing,
// unreadable or close to expiry, and its SHA-256 fingerprint, so a developer
// can pin it or add it to a trust store once and keep it across runs.
func DevPair(dir string) (Pair, string, error) {
	p := Pair{Cert: filepath.Join(dir, "dev.pem"), Key: filepath.Join(dir, "dev-key.pem")}
	if c, err := load(p); err == nil && time.Until(c.NotAfter) > 7*24*time.Hour {
		return p, fingerprint(c.cert.Certificate[0]), nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Pair{}, "", fmt.Errorf("tls: dev certificate folder: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return Pair{}, "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "bulwark development certificate", Organization: []string{"bulwark"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(devValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Pair{}, "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Pair{}, "", err
	}
	if err := writePEM(p.Key, "EC PRIVATE KEY", keyDER, 0o600); err != nil {
		return Pair{}, "", err
	}
	if err := writePEM(p.Cert, "CERTIFICATE", der, 0o644); err != nil {
		return Pair{}, "", err
	}
	return p, fingerprint(der), nil
}

// writePEM writes atomically: a reader never sees half a file.
func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("tls: writing %s: %w", path, err)
	}
	return errors.Join(os.Rename(tmp, path))
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:])
}
