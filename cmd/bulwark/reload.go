package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/bulwark-gw/bulwark/config"
	"github.com/fsnotify/fsnotify"
)

// debounce groups the burst of events an editor or a ConfigMap update makes
// (write, chmod, rename, create) into one reload.
const debounce = 200 * time.Millisecond

// watchConfig sends on reload when the file's content changes, or that of a
// file it names for its content (more: consumers_file, as the last applied
// configuration names it), or SIGHUP arrives, until ctx ends. It watches the
// files' directories, not the files, because editors and Kubernetes replace
// files by rename, which a watch on the file itself loses.
func watchConfig(ctx context.Context, path string, more func() []string, reload chan<- struct{}, log *slog.Logger) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	w, err := fsnotify.NewWatcher()
	if err != nil {
		return waitHUP(ctx, hup, reload, log, err)
	}
	defer w.Close()
	if err := w.Add(filepath.Dir(path)); err != nil {
		return waitHUP(ctx, hup, reload, log, err)
	}
	// files are the watched files now; a reload may name others.
	files := func() []string {
		out := []string{path}
		for _, f := range more() {
			if !slices.Contains(out, f) {
				out = append(out, f)
				_ = w.Add(filepath.Dir(f)) // a folder watched already is kept as it is
			}
		}
		return out
	}
	watched := files()
	last := filesHash(watched)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			log.Info("SIGHUP: reloading the configuration")
			last = filesHash(watched)
			send(reload)
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			watched = files() // a reload since may name another file
			if slices.Contains(watched, filepath.Clean(ev.Name)) || strings.HasPrefix(filepath.Base(ev.Name), "..") {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			log.Warn("config watcher error", "err", err)
		case <-timer.C:
			h := filesHash(watched)
			if h == nil || bytes.Equal(h, last) {
				continue // removed mid-replace, or touched without a change
			}
			last = h
			log.Info("config file changed: reloading", "file", path)
			send(reload)
		}
	}
}

// waitHUP keeps SIGHUP reloads working when the file cannot be watched.
func waitHUP(ctx context.Context, hup <-chan os.Signal, reload chan<- struct{}, log *slog.Logger, cause error) error {
	log.Warn("cannot watch the config file; SIGHUP still reloads", "err", cause)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			send(reload)
		}
	}
}

func send(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default: // a reload is already pending; it will read the newest file
	}
}

// filesHash is one hash of the files' contents, nil when one cannot be read
// (it is being replaced: the next event will tell).
func filesHash(paths []string) []byte {
	h := sha256.New()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// restartOnly lists what the new file changes that only a restart applies
// (listeners, server limits, the admin token). The rest of the file still applies;
// the operator is told at once instead of wondering why nothing moved.
func (rt *process) restartOnly(f *config.File) []string {
	rt.mu.Lock()
	cur := rt.current
	rt.mu.Unlock()
	var notes []string
	if f.HTTPAddr() != cur.HTTPAddr() {
		notes = append(notes, fmt.Sprintf("listen.http changed from %q to %q: still listening on the old address until restart", cur.HTTPAddr(), f.HTTPAddr()))
	}
	if f.AdminAddr() != cur.AdminAddr() {
		notes = append(notes, fmt.Sprintf("admin.listen changed from %q to %q: still listening on the old address until restart", cur.AdminAddr(), f.AdminAddr()))
	}
	if f.Admin.Token != cur.Admin.Token || f.Admin.TokenFile != cur.Admin.TokenFile || f.Admin.WriteToken != cur.Admin.WriteToken {
		notes = append(notes, "the admin token settings changed: the old token stays valid until restart")
	}
	// trusted_proxies reaches the gateway with every reload; the rest of the
	// server block is fixed when the listener starts.
	next, prev := f.Server, cur.Server
	next.TrustedProxies, prev.TrustedProxies = nil, nil
	if !reflect.DeepEqual(next, prev) {
		notes = append(notes, "server limits changed: they apply after a restart (trusted_proxies apply now)")
	}
	if f.Listen.HTTPS != cur.Listen.HTTPS || !reflect.DeepEqual(f.TLS, cur.TLS) {
		notes = append(notes, "listen.https or tls changed: they apply after a restart (certificate files reload by themselves)")
	}
	if !reflect.DeepEqual(f.Discovery.Consul, cur.Discovery.Consul) {
		notes = append(notes, "discovery.consul changed: it applies after a restart (static discovery applies now)")
	}
	if f.Log.Format != cur.Log.Format {
		notes = append(notes, "log.format changed: it applies after a restart")
	}
	return notes
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimSpace(s), "\n")
}
