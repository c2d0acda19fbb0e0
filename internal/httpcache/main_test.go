package httpcache

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that nothing the engine starts outlives the tests: the
// package starts no goroutines of its own, and otter's deletion callbacks
// must have finished.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
