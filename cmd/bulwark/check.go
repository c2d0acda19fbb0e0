package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/bulwark-gw/bulwark/config"
)

// cmdCheck validates a config file without starting anything: every problem is
// printed as file:line:column: reason, one per line, and the exit code is 1. It
// reads the files the config names (certificates, keys, CAs, token files) as
// serve does, through the same loadConfig, so the two cannot disagree; a
// certificate close to its expiry is printed as a warning, and the exit code
// stays 0 (as `caddy validate` and compilers treat warnings).
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("c", "bulwark.yaml", "config file to validate")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	_, warnings, err := loadConfig(*path)
	for _, w := range warnings {
		fmt.Fprintln(stderr, warningLine(w))
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return 0
}

// warningLine formats a warning as compilers do: "file:line:column: warning: reason".
func warningLine(w config.Problem) string {
	w.Msg = "warning: " + w.Msg
	return w.String()
}

// loadConfig reads, validates and translates a file, and checks the files it
// names: nil error means it can be applied whole. check, serve and every
// reload call it, so they reach the same verdict on the same file. The
// warnings (a certificate that expires soon) do not stop it from applying.
func loadConfig(path string) (*config.File, config.Problems, error) {
	f, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	return translateCheck(f)
}

// parseConfig is loadConfig for an in-memory document (the demo's), whose
// warnings nobody would act on.
func parseConfig(name string, data []byte) (*config.File, error) {
	f, err := config.Parse(name, data)
	if err != nil {
		return nil, err
	}
	f, _, err = translateCheck(f)
	return f, err
}

func translateCheck(f *config.File) (*config.File, config.Problems, error) {
	if err := f.Validate(); err != nil {
		return nil, nil, err
	}
	warnings, err := f.CheckFiles(time.Now())
	if err != nil {
		return nil, warnings, err
	}
	if _, err := f.Gateway(); err != nil {
		return nil, warnings, err
	}
	return f, warnings, nil
}
