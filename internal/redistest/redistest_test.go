package redistest

import (
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func pingOnce(addr string) error { return ping(context.Background(), addr) }

func TestAServerAnswersUntilStoppedAndAgainAfterStart(t *testing.T) {
	s := New(t)
	if err := pingOnce(s.Addr()); err != nil {
		t.Fatalf("started server: %v", err)
	}
	s.Stop()
	if err := pingOnce(s.Addr()); err == nil {
		t.Fatal("stopped server still answers PING")
	}
	s.Stop() // a second Stop does nothing
	s.Start(t)
	if err := pingOnce(s.Addr()); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
}

func TestStartGivesEachCallItsOwnServer(t *testing.T) {
	a, stopA := Start(t)
	b, _ := Start(t)
	if a == b {
		t.Fatalf("two servers share %s", a)
	}
	stopA()
	if err := pingOnce(b); err != nil {
		t.Fatalf("stopping one server stopped the other: %v", err)
	}
}
