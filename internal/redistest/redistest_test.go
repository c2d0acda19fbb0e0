package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ping(addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DisableIdentity: true})
	defer c.Close()
	return c.Ping(context.Background()).Err()
}

func TestAServerAnswersUntilStoppedAndAgainAfterStart(t *testing.T) {
	s := New(t)
	if err := ping(s.Addr()); err != nil {
		t.Fatalf("started server: %v", err)
	}
	s.Stop()
	if err := ping(s.Addr()); err == nil {
		t.Fatal("stopped server still answers PING")
	}
	s.Stop() // a second Stop does nothing
	s.Start(t)
	if err := ping(s.Addr()); err != nil {
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
	if err := ping(b); err != nil {
		t.Fatalf("stopping one server stopped the other: %v", err)
	}
}
