package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// A change to consumers_file reloads, as a change to the config file does:
// keys are rotated by editing that file alone. The file lives in a folder
// of its own, as a mounted secret does.
func TestAChangeToTheConsumersFileReloads(t *testing.T) {
	dir, secrets := t.TempDir(), t.TempDir()
	main, keys := filepath.Join(dir, "bulwark.yaml"), filepath.Join(secrets, "keys.yaml")
	for _, p := range []string{main, keys} {
		if err := os.WriteFile(p, []byte("# v1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	reload := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = watchConfig(ctx, main, func() []string { return []string{keys} }, reload, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })

	// The watcher may start after the first write; write until it reloads,
	// a bounded number of times (each write is a change).
	for i := range 50 {
		if err := os.WriteFile(keys, []byte("# v"+string(rune('2'+i%8))+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		select {
		case <-reload:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatal("50 changes to the consumers file brought no reload")
}
