package tls

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce groups the burst of events a certificate rotation makes (cert-manager
// swaps a symlinked folder; certbot writes several files) into one reload.
const debounce = 250 * time.Millisecond

// Reload reads every certificate again and swaps them in at once. A pair that
// fails keeps its previous certificate (marked with LoadError), so a broken
// file on disk never takes a name off the air; a new pair that fails is left
// out. Handshakes in progress keep the certificate they started with.
func (s *Store) Reload() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := map[string]*Certificate{}
	for _, c := range s.cur.Load().certs {
		prev[c.Source] = c
	}
	pairs, err := s.pairs()
	if err != nil {
		s.log.Error("certificate reload failed; the current certificates keep serving", "err", err)
		return []error{err}
	}
	var certs []*Certificate
	var errs []error
	for _, p := range pairs {
		c, err := load(p)
		if err == nil {
			certs = append(certs, c)
			continue
		}
		errs = append(errs, err)
		if old := prev[p.Cert]; old != nil {
			kept := *old
			kept.LoadError = err.Error()
			certs = append(certs, &kept)
			s.log.Error("certificate reload failed; the previous certificate keeps serving", "file", p.Cert, "err", err)
		} else {
			s.log.Error("new certificate cannot be loaded; left out", "file", p.Cert, "err", err)
		}
	}
	if len(certs) == 0 {
		s.log.Error("no certificate could be loaded; the current ones keep serving")
		return errs
	}
	s.cur.Store(newIndex(certs))
	s.log.Info("certificates reloaded", "count", len(certs), "failed", len(errs))
	return errs
}

// Watch reloads when a certificate file or folder changes, until ctx ends. It
// watches folders, not files, because rotations replace files by rename.
func (s *Store) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	dirs := map[string]bool{}
	if s.cfg.Dir != "" {
		dirs[s.cfg.Dir] = true
	}
	for _, p := range s.cfg.Pairs {
		dirs[filepath.Dir(p.Cert)] = true
		dirs[filepath.Dir(p.Key)] = true
	}
	for d := range dirs {
		if err := w.Add(d); err != nil {
			return err
		}
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-w.Events:
			if !ok {
				return nil
			}
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.log.Warn("certificate watcher error", "err", err)
		case <-timer.C:
			s.Reload()
		}
	}
}
