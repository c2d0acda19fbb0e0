package discovery_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind, such as a
// Static.Run that did not return when its context ended.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
