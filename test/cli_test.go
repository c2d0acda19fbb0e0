package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestVersionPrintsTheProgramName(t *testing.T) {
	out, errOut, code := runBulwark(t, "version")
	if code != 0 {
		t.Fatalf("bulwark version exited %d; stderr:\n%s", code, errOut)
	}
	if !strings.HasPrefix(out, "bulwark ") {
		t.Errorf("bulwark version printed %q, want it to start with %q", out, "bulwark ")
	}
}

// A binary built from a git checkout (TestMain runs go build in the work
// tree, which stamps VCS information by default) names the commit it was
// built from, so a bug report says exactly which code it is about.
func TestVersionNamesTheCommitTheBinaryWasBuiltFrom(t *testing.T) {
	git := exec.Command("git", "rev-parse", "--is-inside-work-tree")
	git.Dir = moduleRoot
	if out, err := git.Output(); err != nil || strings.TrimSpace(string(out)) != "true" {
		t.Skip("not built from a git work tree: the binary has no commit to name")
	}
	// The go command stamps VCS information only where .git is a directory, so
	// a binary built in a linked work tree (git worktree add) says "dev".
	if fi, err := os.Stat(filepath.Join(moduleRoot, ".git")); err == nil && !fi.IsDir() {
		t.Skip("built in a linked git work tree, where go build records no commit")
	}
	out, errOut, code := runBulwark(t, "version")
	if code != 0 {
		t.Fatalf("bulwark version exited %d; stderr:\n%s", code, errOut)
	}
	m := regexp.MustCompile(`^bulwark \S+ \(commit ([0-9a-f]{12}), \d{4}-\d\d-\d\dT[^,)]+(, modified)?\) `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("bulwark version printed %q, want \"bulwark VERSION (commit REV, TIME[, modified]) ...\"", out)
	}
	// The commit is one the repository has (HEAD may have moved on since the build).
	check := exec.Command("git", "cat-file", "-e", m[1]+"^{commit}")
	check.Dir = moduleRoot
	if err := check.Run(); err != nil {
		t.Errorf("bulwark version names commit %s, which the repository does not have", m[1])
	}
}

func TestAnUnknownSubcommandExitsWithUsageError(t *testing.T) {
	_, errOut, code := runBulwark(t, "frobnicate")
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("stderr does not name the unknown command:\n%s", errOut)
	}
}

// goodConfig is a small valid file; its upstream does not need to run for check.
const goodConfig = `listen:
  http: "127.0.0.1:0"
admin:
  listen: "127.0.0.1:0"
  token: secret
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9"]
routes:
  - path: /pets
    service: pets
`

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		file string
		// want is every line check must print to stderr, in order, as
		// "line:column: message-fragment" (the file name is prepended).
		want     []string
		wantCode int
		bug      string // a known bug: the case is skipped with this reason
	}{
		{
			name:     "a valid file is accepted with exit 0",
			file:     goodConfig,
			wantCode: 0,
		},
		{
			name: "a typo'd key and a wrong type are each reported at their line and column",
			file: `listen:
  htp: "127.0.0.1:0"
server:
  max_header_bytes: lots
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9"]
routes:
  - path: /pets
    service: pets
`,
			want: []string{
				`2:3: listen: unknown key "htp" (did you mean "http"?)`,
				`4:21: server.max_header_bytes: expected an integer, found "lots"`,
			},
			wantCode: 1,
		},
		{
			name: "a duplicate route is reported at the second route, naming the first",
			file: `discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9"]
routes:
  - path: /pets
    service: pets
  - path: /pets
    service: pets
`,
			want: []string{
				`8:5: routes[1]: duplicates routes[0] at line 6`,
			},
			wantCode: 1,
		},
		{
			name: "a typo'd key, a wrong type and a duplicate route are all reported in one run",
			file: `listen:
  htp: "127.0.0.1:0"
server:
  max_header_bytes: lots
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9"]
routes:
  - path: /pets
    service: pets
  - path: /pets
    service: pets
`,
			want: []string{
				`2:3: listen: unknown key "htp"`,
				`4:21: server.max_header_bytes: expected an integer`,
				`12:5: routes[1]: duplicates routes[0] at line 10`,
			},
			wantCode: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.bug != "" {
				knownBug(t, tt.bug)
			}
			path := filepath.Join(t.TempDir(), "bulwark.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := runBulwark(t, "check", "-c", path)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			if tt.wantCode == 0 {
				if want := path + ": ok"; strings.TrimSpace(out) != want {
					t.Errorf("stdout %q, want %q", out, want)
				}
				if errOut != "" {
					t.Errorf("stderr is not empty for a valid file:\n%s", errOut)
				}
				return
			}
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d problem lines, want %d (one per problem):\n%s", len(lines), len(tt.want), errOut)
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], path+":"+want) {
					t.Errorf("line %d:\n got %s\nwant %s:%s...", i+1, lines[i], path, want)
				}
			}
		})
	}
}

func TestCheckOfAMissingFileFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, errOut, code := runBulwark(t, "check", "-c", path)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(errOut, "absent.yaml") {
		t.Errorf("stderr does not name the file:\n%s", errOut)
	}
}

func TestServeRefusesToStartWithAnInvalidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bulwark.yaml")
	bad := strings.Replace(goodConfig, "  - path: /pets\n", "  - path: pets\n", 1)
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runBulwark(t, "serve", "-c", path)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if want := path + `:11:11: routes[0].path: "pets" must start with "/"`; !strings.Contains(errOut, want) {
		t.Errorf("stderr does not contain %q:\n%s", want, errOut)
	}
}
