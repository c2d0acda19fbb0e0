// Package tls holds the certificates bulwark terminates TLS with: a store that
// picks a certificate by SNI (exact name, then wildcard, then the default),
// reloads files when they change on disk without a failed handshake, keeps the
// previous certificate when a new file is broken, and generates a self-signed
// development certificate.
//
// Naming: this package is named tls like crypto/tls. Inside it, crypto/tls is
// imported as gotls; packages that use both import this one as bwtls. The
// package imports nothing else from bulwark.
package tls

import (
	gotls "crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Pair is one certificate file and its key file (PEM).
type Pair struct{ Cert, Key string }

// Config says where the certificates are.
type Config struct {
	// Pairs are loaded in order; the first is the default certificate, served
	// to clients that send no SNI or a name no certificate covers.
	Pairs []Pair
	// Dir, when set, adds every NAME.pem / NAME-key.pem (or NAME.crt /
	// NAME.key) pair found in it, in lexical order, after Pairs.
	Dir string
	// Logger receives reload results; nil discards them.
	Logger *slog.Logger
}

// Certificate is a loaded certificate and what the admin API and metrics show.
type Certificate struct {
	Names    []string  `json:"names"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
	Source   string    `json:"source"` // the certificate file
	// LoadError is the last reload's failure: the previous certificate serves.
	LoadError string `json:"load_error,omitempty"`

	cert *gotls.Certificate
}

// index is an immutable view: certificates by exact name and by wildcard
// suffix, and the default. Handshakes read it without locks.
type index struct {
	certs []*Certificate
	exact map[string]*Certificate
	wild  map[string]*Certificate // "example.com" for *.example.com
}

// Store serves certificates by SNI and reloads them.
type Store struct {
	cfg Config
	log *slog.Logger
	cur atomic.Pointer[index]
	mu  sync.Mutex // serializes reloads
}

// NewStore loads every certificate. At start a broken file is an error: there
// is no previous certificate to fall back on.
func NewStore(cfg Config) (*Store, error) {
	s := &Store{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	pairs, err := s.pairs()
	if err != nil {
		return nil, err
	}
	var certs []*Certificate
	var errs []error
	for _, p := range pairs {
		c, err := load(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		certs = append(certs, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, errors.New("tls: no certificate configured")
	}
	s.cur.Store(newIndex(certs))
	return s, nil
}

// pairs lists the configured pairs and those found in Dir.
func (s *Store) pairs() ([]Pair, error) {
	pairs := slices.Clone(s.cfg.Pairs)
	if s.cfg.Dir == "" {
		return pairs, nil
	}
	found, err := PairsIn(s.cfg.Dir)
	if err != nil {
		return nil, err
	}
	return append(pairs, found...), nil
}

// PairsIn lists the NAME.pem / NAME-key.pem (or NAME.crt / NAME.key) pairs in
// dir, in lexical order: what Config.Dir adds. A certificate without its key
// file is not a pair and is left out. Package config reads the folder the same
// way, so `bulwark check` sees the files the store will load.
func PairsIn(dir string) ([]Pair, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("tls: reading certificate folder: %w", err)
	}
	var pairs []Pair
	for _, e := range entries {
		name := e.Name()
		for _, ext := range [][2]string{{".pem", "-key.pem"}, {".crt", ".key"}} {
			base, ok := strings.CutSuffix(name, ext[0])
			if !ok || strings.HasSuffix(base, "-key") {
				continue
			}
			key := filepath.Join(dir, base+ext[1])
			if _, err := os.Stat(key); err == nil {
				pairs = append(pairs, Pair{Cert: filepath.Join(dir, name), Key: key})
			}
		}
	}
	return pairs, nil
}

// load reads and checks one pair: the key must match the certificate, and
// the certificate must be valid now.
func load(p Pair) (*Certificate, error) {
	kp, err := gotls.LoadX509KeyPair(p.Cert, p.Key)
	if err != nil {
		return nil, fmt.Errorf("tls: %s with %s: %w", p.Cert, p.Key, err)
	}
	leaf := kp.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(kp.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls: %s: %w", p.Cert, err)
		}
	}
	now := time.Now()
	switch {
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("tls: %s expired on %s", p.Cert, leaf.NotAfter.Format(time.DateOnly))
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("tls: %s is not valid before %s", p.Cert, leaf.NotBefore.Format(time.RFC3339))
	}
	names := slices.Clone(leaf.DNSNames)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && leaf.Subject.CommonName != "" {
		names = []string{leaf.Subject.CommonName}
	}
	return &Certificate{Names: names, Issuer: leaf.Issuer.String(), NotAfter: leaf.NotAfter, Source: p.Cert,
		cert: &kp}, nil
}

func newIndex(certs []*Certificate) *index {
	ix := &index{certs: certs, exact: map[string]*Certificate{}, wild: map[string]*Certificate{}}
	for _, c := range certs {
		for _, n := range c.Names {
			n = strings.ToLower(n)
			if rest, ok := strings.CutPrefix(n, "*."); ok {
				if ix.wild[rest] == nil {
					ix.wild[rest] = c
				}
			} else if ix.exact[n] == nil {
				ix.exact[n] = c
			}
		}
	}
	return ix
}

// GetCertificate picks the certificate for a handshake: an exact name, then a
// wildcard one label up, then the default (the first certificate). Serving the
// default to an unknown name, rather than failing the handshake, is what
// nginx and Traefik do: the client then reports a name mismatch itself.
func (s *Store) GetCertificate(hello *gotls.ClientHelloInfo) (*gotls.Certificate, error) {
	ix := s.cur.Load()
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if c := ix.exact[name]; c != nil {
		return c.cert, nil
	}
	if _, rest, ok := strings.Cut(name, "."); ok {
		if c := ix.wild[rest]; c != nil {
			return c.cert, nil
		}
	}
	return ix.certs[0].cert, nil
}

// Certificates lists the certificates in use, for the admin API and metrics.
func (s *Store) Certificates() []Certificate {
	ix := s.cur.Load()
	out := make([]Certificate, 0, len(ix.certs))
	for _, c := range ix.certs {
		out = append(out, *c)
	}
	return out
}
