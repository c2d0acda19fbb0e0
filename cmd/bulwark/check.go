package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/bulwark-gw/bulwark/config"
)

// cmdCheck validates a config file without starting anything: every problem is
// printed as file:line:column: reason, one per line, and the exit code is 1.
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
	if _, err := loadConfig(*path); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return 0
}

// loadConfig reads, validates and translates a file: nil error means it can be applied whole.
func loadConfig(path string) (*config.File, error) {
	f, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	return f, translateCheck(f)
}

// parseConfig is loadConfig for an in-memory document (the demo's).
func parseConfig(name string, data []byte) (*config.File, error) {
	f, err := config.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return f, translateCheck(f)
}

func translateCheck(f *config.File) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if _, err := f.Gateway(); err != nil {
		return err
	}
	return nil
}
