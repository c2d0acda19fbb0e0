package test

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README is the first thing a new user runs, line by line. Every command
// in its fenced sh blocks is run here against a running `bulwark demo` (the
// real binary), with the demo's ports, its generated admin token and one of
// its instance addresses put in for the README's 8080/8443/9901, TOKEN and
// INSTANCE, and must succeed: exit 0, and every curl gets a 2xx (it runs
// with --fail). A command added to the README is run too, unless it is one
// of the few below that cannot run inside a test, each with its reason.

// shCommand is one command line of a fenced sh block.
type shCommand struct {
	Line int // 1-based line in the Markdown file
	Text string
}

// shCommands returns the command lines of the fenced sh (or bash, shell)
// blocks of a Markdown document: blank lines and whole-line comments are left
// out, a line ending in a backslash is joined with the next.
func shCommands(markdown string) []shCommand {
	var (
		out   []shCommand
		fence string
		inSh  bool
		open  bool
		cont  *shCommand
	)
	sc := bufio.NewScanner(strings.NewReader(markdown))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if !open {
			if f, info, ok := openFence(trimmed); ok {
				lang := strings.ToLower(strings.Fields(info + " x")[0])
				open, fence, inSh = true, f, lang == "sh" || lang == "bash" || lang == "shell"
			}
			continue
		}
		if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
			open, cont = false, nil
			continue
		}
		if !inSh {
			continue
		}
		if cont != nil {
			cont.Text += " " + strings.TrimSuffix(trimmed, "\\")
			if !strings.HasSuffix(trimmed, "\\") {
				out, cont = append(out, *cont), nil
			}
			continue
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		c := shCommand{Line: n, Text: strings.TrimSuffix(trimmed, "\\")}
		if strings.HasSuffix(trimmed, "\\") {
			cont = &c
			continue
		}
		out = append(out, c)
	}
	return out
}

func TestReadmeCommandsWorkAgainstTheDemo(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(moduleRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := shCommands(string(readme))
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands in README.md's sh blocks: %+v", len(cmds), cmds)
	}
	gw := startDemo(t)
	errOut := waitFor(t, gw, "bulwark demo is running")
	token := submatch(t, errOut, `admin token \(generated[^)]*\): ([0-9a-f]+)`)
	// A pets instance: the README's fault commands make it fail, slow, then well.
	instance := submatch(t, errOut, `msg="demo service started" .*service=pets .*addr=(127\.0\.0\.1:\d+)`)

	// The README's config file, for `bulwark check` and `bulwark serve`, on
	// free ports (the demo holds the README's own).
	dir := t.TempDir()
	blocks, err := yamlBlocks(string(readme))
	if err != nil || len(blocks) == 0 {
		t.Fatalf("README.md has no yaml config block (%v)", err)
	}
	serveHTTP, serveAdmin := freeAddr(t), freeAddr(t)
	conf := strings.NewReplacer("127.0.0.1:8080", serveHTTP, "127.0.0.1:9901", serveAdmin).Replace(blocks[0].Text)
	writeFile(t, filepath.Join(dir, "bulwark.yaml"), conf)

	port := func(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }
	subst := strings.NewReplacer(":8080", ":"+port(gw.ports.HTTP), ":8443", ":"+port(gw.ports.HTTPS),
		":9901", ":"+port(gw.ports.Admin), "TOKEN", token, "INSTANCE", instance)
	env := append(os.Environ(), "PATH="+filepath.Dir(binPath)+string(os.PathListSeparator)+os.Getenv("PATH"))

	for _, c := range cmds {
		name := strings.TrimSpace(strings.SplitN(c.Text, "#", 2)[0])
		t.Run(name, func(t *testing.T) {
			switch {
			case name == "go run ./cmd/bulwark demo":
				// The demo this test started, from the binary built from the same
				// source: its banner and the single stream are checked here.
				if out := gw.stdout.String(); out != "" {
					t.Errorf("the demo wrote to stdout; everything it prints goes to stderr:\n%s", out)
				}
				return
			case name == "./scripts/test.sh":
				t.Skip("the whole suite, this test included: run by CI, not from inside itself")
			case strings.HasPrefix(name, "docker "):
				t.Skip("needs a Docker daemon and the network; scripts/build.sh, run by scripts/test.sh, builds the same binary")
			case strings.HasPrefix(name, "bulwark serve"):
				runServeFromReadme(t, dir, env, strings.Fields(name)[1:], serveAdmin)
				return
			}
			line := subst.Replace(c.Text)
			if strings.HasPrefix(line, "curl ") {
				line = "curl --fail --max-time 20 " + strings.TrimPrefix(line, "curl ")
			}
			ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", line)
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("README.md line %d: %s\nran: %s\nfailed: %v\n%s", c.Line, c.Text, line, err, out)
			}
		})
	}
	gw.signal(syscall.SIGTERM)
	if code := gw.waitExit(exitTimeout); code != 0 {
		t.Errorf("the demo exited %d after SIGTERM", code)
	}
	gw.checkNoRace()
}

// runServeFromReadme runs `bulwark serve -c bulwark.yaml` as the README says,
// waits until it is healthy, and stops it with SIGTERM: it must exit 0.
func runServeFromReadme(t *testing.T, dir string, env []string, args []string, admin string) {
	pr := &proc{t: t, cmd: exec.Command(binPath, args...), stdout: &lockedBuffer{}, stderr: &lockedBuffer{},
		done: make(chan struct{}), ports: ports{Admin: admin}}
	pr.cmd.Dir, pr.cmd.Env = dir, env
	pr.cmd.Stdout, pr.cmd.Stderr = pr.stdout, pr.stderr
	if err := pr.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = pr.cmd.Wait(); close(pr.done) }()
	t.Cleanup(pr.kill)
	if err := pr.waitHealthy(); err != nil {
		t.Fatalf("bulwark %v with the README's config: %v\nstderr:\n%s", args, err, pr.stderr.String())
	}
	pr.signal(syscall.SIGTERM)
	// The README's file drains for shutdown.drain_delay (5s) before closing.
	if code := pr.waitExit(30 * time.Second); code != 0 {
		t.Errorf("bulwark %v exited %d after SIGTERM\nstderr:\n%s", args, code, pr.stderr.String())
	}
}

// waitFor waits (bounded) until the process's stderr contains s, and returns it.
func waitFor(t *testing.T, pr *proc, s string) string {
	t.Helper()
	var out string
	if !eventually(startTimeout, func() bool { out = pr.stderr.String(); return strings.Contains(out, s) }) {
		t.Fatalf("stderr never said %q:\n%s", s, out)
	}
	return out
}

// submatch is the first group of re in s; the test fails without one.
func submatch(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("nothing matches %s in:\n%s", re, s)
	}
	return m[1]
}
