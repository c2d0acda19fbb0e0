// Command bulwark is the API gateway: `bulwark serve -c bulwark.yaml` runs it from a
// config file, `bulwark demo` runs it with sample services and no config at all,
// `bulwark check -c FILE` validates a file, `bulwark version` prints the build.
//
// This package wires the flows of ../shared/DESIGN.md together: config → gateway,
// discovery → gateway, signals and file changes → reload, SIGTERM → drain and exit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `bulwark: an API gateway with a documentation portal

Usage:
  bulwark serve -c FILE        run the gateway from a config file (SIGHUP or a file change reloads it)
  bulwark demo [--http ADDR] [--https ADDR] [--admin ADDR] [--data DIR]
                               run the gateway with three sample services; no config needed
  bulwark check -c FILE        validate a config file: exit 0, or 1 with file:line:column: reason
  bulwark hash api-key|password
                               hash an API key (a new one, or one on stdin) or a password (on stdin) for consumers:
  bulwark version              print the version
`

// stdinIfPiped is standard input when something is piped or redirected
// into it, nil when it is a terminal (so `bulwark hash api-key` does not
// wait for a key nobody will type).
func stdinIfPiped() io.Reader {
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice == 0 {
		return os.Stdin
	}
	return nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if tuneGC() {
		p := new(gcPacer)
		pace(p)
		defer p.stopped.Store(true)
	}

	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(ctx, rest, stderr)
	case "demo":
		err = cmdDemo(ctx, rest, stderr)
	case "check":
		return cmdCheck(rest, stdout, stderr)
	case "hash":
		return cmdHash(rest, stdinIfPiped(), stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "bulwark: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "bulwark: %v\n", err)
		return 1
	}
	return 0
}
