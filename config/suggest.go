package config

import "github.com/bulwark-gw/bulwark/internal/typo"

// suggest returns the known name closest to s, or "" when none is close
// enough. The helper is shared with the gateway's label checks (internal/typo),
// so a misspelt key gets the same "did you mean" in the file and on a Consul
// registration.
func suggest(s string, known []string) string { return typo.Suggest(s, known) }
