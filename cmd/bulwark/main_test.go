package main

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/bulwark-gw/bulwark/internal/authn"
)

// TestMain fails the package when a test leaves a goroutine behind, such as the
// flusher of a bufferedLog that was never closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// keepGCPercent restores the garbage collector's percentage after the test,
// since run and tuneGC change process-wide state.
func keepGCPercent(t *testing.T) {
	t.Helper()
	old := gcPercent()
	t.Cleanup(func() { debug.SetGCPercent(old) })
}

// gcPercent reads the current GOGC percentage: SetGCPercent returns the previous
// value, which is put straight back.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a prefix of stdout; "" means stdout must be empty
		wantStderr string // a substring of stderr; "" means stderr must be empty
	}{
		{
			name:       "no arguments print the usage and exit 2",
			args:       nil,
			wantCode:   2,
			wantStderr: "Usage:\n  bulwark serve -c FILE",
		},
		{
			name:       "version prints the version and exits 0",
			args:       []string{"version"},
			wantCode:   0,
			wantStdout: "bulwark ",
		},
		{
			name:       "--version is the same as version",
			args:       []string{"--version"},
			wantCode:   0,
			wantStdout: "bulwark ",
		},
		{
			name:       "help prints the usage to stdout and exits 0",
			args:       []string{"help"},
			wantCode:   0,
			wantStdout: "bulwark: an API gateway",
		},
		{
			name:       "an unknown command is named, followed by the usage, and exits 2",
			args:       []string{"frobnicate"},
			wantCode:   2,
			wantStderr: "bulwark: unknown command \"frobnicate\"\n\nbulwark: an API gateway",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keepGCPercent(t)
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("run(%q) = %d, want %d (stderr: %q)", tt.args, code, tt.wantCode, stderr.String())
			}
			if tt.wantStdout == "" && stdout.Len() != 0 {
				t.Errorf("stdout = %q, want it empty", stdout.String())
			}
			if !strings.HasPrefix(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to start with %q", stdout.String(), tt.wantStdout)
			}
			if tt.wantStderr == "" && stderr.Len() != 0 {
				t.Errorf("stderr = %q, want it empty", stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestVersionLineFromBuildInfo(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tail := " " + runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version()
	for _, tt := range []struct {
		name    string
		version string
		bi      *debug.BuildInfo
		want    string
	}{
		{"a release build names its version and commit", "v1.2.3",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("vcs", "git",
				"vcs.revision", "0830b50c1a2b3c4d5e6f708192a3b4c5d6e7f809", "vcs.time", "2026-12-02T23:07:31Z", "vcs.modified", "false")},
			"bulwark v1.2.3 (commit 0830b50c1a2b, 2026-12-02T23:07:31Z)" + tail},
		{"a build from a modified tree says so", "dev",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(
				"vcs.revision", "0830b50c1a2b3c4d5e6f708192a3b4c5d6e7f809", "vcs.time", "2026-12-02T23:07:31Z", "vcs.modified", "true")},
			"bulwark dev (commit 0830b50c1a2b, 2026-12-02T23:07:31Z, modified)" + tail},
		{"go install module@version gives the module version", "dev",
			&debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			"bulwark v1.4.0" + tail},
		{"the linker flag wins over the module version", "v2.0.0-rc1",
			&debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			"bulwark v2.0.0-rc1" + tail},
		{"a build without VCS information says only the version", "dev",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			"bulwark dev" + tail},
		{"no build information at all", "dev", nil, "bulwark dev" + tail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildFrom(tt.version, tt.bi).String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestVersionString(t *testing.T) {
	t.Run("the version line names the build's version and Go", func(t *testing.T) {
		got := versionString()
		if !strings.HasPrefix(got, "bulwark "+version+" ") {
			t.Errorf("versionString() = %q, want it to start with %q", got, "bulwark "+version+" ")
		}
		if strings.Contains(got, "\n") {
			t.Errorf("versionString() = %q, want one line", got)
		}
	})
}

func TestHashWritesWhatConsumersStore(t *testing.T) {
	var out, errb strings.Builder
	if code := cmdHash([]string{"api-key"}, strings.NewReader("my-key\n"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if want := "hash: " + authn.HashAPIKey("my-key") + "\n"; out.String() != want {
		t.Errorf("api-key from stdin: %q, want %q", out.String(), want)
	}
	out.Reset()
	if code := cmdHash([]string{"api-key"}, nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "key:  ") {
		t.Fatalf("a new key: exit %d, %q", code, out.String())
	}
	key := strings.TrimPrefix(strings.SplitN(out.String(), "\n", 2)[0], "key:  ")
	if !strings.Contains(out.String(), "hash: "+authn.HashAPIKey(key)) {
		t.Errorf("the printed hash is not the new key's: %q", out.String())
	}
	out.Reset()
	if code := cmdHash([]string{"password"}, strings.NewReader("pw\n"), &out, &errb); code != 0 {
		t.Fatalf("password: exit %d: %s", code, errb.String())
	}
	b, err := authn.NewBasic(map[string]string{"u": strings.TrimSpace(strings.TrimPrefix(out.String(), "hash: "))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify("u", "pw"); err != nil {
		t.Errorf("the printed hash does not verify its password: %v", err)
	}
	if code := cmdHash([]string{"password"}, nil, &out, &errb); code == 0 {
		t.Errorf("a password hash with no password exited 0")
	}
}
