package authn

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: verifiers
// must stop what they start on Close or when the caller's context ends.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
