package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// durationHint is how every duration problem says what is expected.
const durationHint = `a duration such as "250ms", "15s" or "1m30s"`

// parseDuration reads Go duration syntax. A bare number other than 0 is refused
// with a hint, since "timeout: 15" is the mistake people make most.
func parseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("expected %s, found %q", durationHint, s)
	}
	return Duration(d), nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String writes the duration in the syntax the file uses.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes "15s" rather than a count of nanoseconds, so a File can be
// printed back (e.g. by a "show effective config" command) in its own syntax.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML lets code that decodes a File with yaml.Unmarshal (rather than
// Parse) read durations the same way.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected %s", n.Line, durationHint)
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}
