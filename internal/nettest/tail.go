package nettest

import (
	"os"
	"sync"
	"syscall"
	"time"
)

// Tail keeps the last 16 KiB written to it: a test process's output (a
// Consul agent, a redis-server), for the message of a test that fails
// because of it, without holding all of a long run's output.
type Tail struct {
	mu  sync.Mutex
	buf []byte
}

func (w *Tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - 16<<10; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

func (w *Tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

// Stop ends a test server process: SIGTERM, then SIGKILL if it has not
// exited (done closed) within 5 s, and waits for done.
func Stop(p *os.Process, done <-chan struct{}) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.Kill()
		<-done
	}
}
