package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/config"
)

// serveConfig listens on free loopback ports; its two forms differ in routes
// and log level, so every reload really replaces the running file.
const serveConfig = `listen:
  http: "127.0.0.1:0"
admin:
  listen: "127.0.0.1:0"
  token: t
shutdown:
  drain_delay: 0s
  grace: 1s
log:
  level: LEVEL
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9001"]
routes:
  - path: /pets
    service: pets
`

// TestReloadsWhileServingShareNothingUnlocked guards the race the race detector
// found under TestReloadUnderLoadDropsNothing: serve's goroutines (the Consul
// registration among them) read the running configuration while reloads
// replace it. Run with -race; the detector fails the test if any goroutine
// reads rt.current without the lock.
func TestReloadsWhileServingShareNothingUnlocked(t *testing.T) {
	files := [2]*config.File{}
	for i, level := range []string{"info", "warn"} {
		files[i] = parse(t, strings.Replace(serveConfig, "LEVEL", level, 1))
	}
	// The detector sees a race only when both accesses are in its short
	// history; a few rounds make a miss unlikely.
	for range 10 {
		serveWhileReloading(t, files)
	}
}

// serveWhileReloading serves with the first file and applies both in turn.
func serveWhileReloading(t *testing.T, files [2]*config.File) {
	rt, err := newRuntime(files[0], "test.yaml", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.accessOut.Close()

	const reloads = 20
	reload := make(chan struct{})
	applied := make(chan struct{})
	n := 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- rt.serve(ctx, reload, func() {
			n++
			if err := rt.apply(files[n%2]); err != nil {
				t.Error(err)
			}
			applied <- struct{}{}
		})
	}()
	for range reloads {
		reload <- struct{}{}
		<-applied
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.current != files[reloads%2] {
		t.Error("the running configuration is not the last one applied")
	}
}
