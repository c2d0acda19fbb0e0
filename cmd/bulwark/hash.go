package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-gw/bulwark/internal/authn"
)

// cmdHash writes the hashed forms that consumers: in the config file holds,
// so that no key or password is ever written there in the clear:
//
//	bulwark hash api-key            a new random key, and its hash
//	bulwark hash api-key < KEYFILE  the hash of an existing key (its first line)
//	bulwark hash password < PWFILE  a bcrypt hash of a password (its first line)
//
// Secrets are read from standard input, never from arguments, which other
// users of the machine can read in the process list.
func cmdHash(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 || (args[0] != "api-key" && args[0] != "password") {
		fmt.Fprint(stderr, "usage: bulwark hash api-key [< KEYFILE]\n       bulwark hash password < PASSWORDFILE\n")
		return 2
	}
	secret, err := firstLine(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "bulwark hash: reading standard input: %v\n", err)
		return 1
	}
	switch args[0] {
	case "api-key":
		if secret == "" {
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			secret = base64.RawURLEncoding.EncodeToString(b)
			fmt.Fprintf(stdout, "key:  %s\n", secret)
		}
		fmt.Fprintf(stdout, "hash: %s\n", authn.HashAPIKey(secret))
	case "password":
		if secret == "" {
			fmt.Fprintln(stderr, "bulwark hash password: write the password on standard input")
			return 1
		}
		h, err := authn.HashPassword(secret)
		if err != nil {
			fmt.Fprintf(stderr, "bulwark hash password: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "hash: %s\n", h)
	}
	return 0
}

// firstLine is the first line of r without its line ending; "" when r is
// empty or a terminal with nothing piped in is not waited on (nil reader).
func firstLine(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
