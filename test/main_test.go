// Package test holds bulwark's end-to-end tests: they build the real binary once,
// start it as a separate process with a generated config file on free loopback
// ports, put real upstreams (httptest servers that record what they received)
// behind it, and talk to it over real HTTP and raw TCP.
//
// When the tests run with -race, the binary is built with -race too, so a data
// race in the gateway (a reload under load, a drain) fails the test that caused it:
// every test that stops the process checks its exit status and its stderr.
package test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// binPath is the bulwark binary built by TestMain.
var binPath string

// moduleRoot is the repository root (this directory's parent).
var moduleRoot string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

// buildBinary builds cmd/bulwark into binPath, with -race when the tests run with it.
func buildBinary(vcs string) error {
	args := []string{"build", "-o", binPath, vcs}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/bulwark")
	build := exec.Command("go", args...)
	build.Dir = moduleRoot
	var out bytes.Buffer
	build.Stdout, build.Stderr = &out, &out
	if err := build.Run(); err != nil {
		return fmt.Errorf("%w\n%s", err, out.String())
	}
	return nil
}

func testMain(m *testing.M) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "bulwark-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating a temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	moduleRoot = filepath.Dir(wd)
	binPath = filepath.Join(dir, "bulwark")
	if runtime.GOOS == "windows" {
		binPath += ".exe"
	}
	// -buildvcs=auto stamps the commit (bulwark version prints it) even where
	// GOFLAGS says -buildvcs=false; where git cannot answer (no work tree, a
	// checkout owned by another user), the build is retried without it.
	start := time.Now()
	if err := buildBinary("-buildvcs=auto"); err != nil {
		fmt.Fprintln(os.Stderr, "building bulwark with VCS information failed; building without it:", err)
		if err := buildBinary("-buildvcs=false"); err != nil {
			fmt.Fprintln(os.Stderr, "building bulwark:", err)
			return 1
		}
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "built %s (race=%v) in %v\n", binPath, raceEnabled, time.Since(start).Round(time.Millisecond))
	}

	code := m.Run()
	if code == 0 {
		// Every goroutine a test starts (clients, upstreams, process waiters)
		// must be gone by now.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}
