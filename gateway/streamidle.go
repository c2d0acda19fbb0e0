package gateway

import (
	"errors"
	"io"
	"time"
)

// ErrStreamIdle: a stream's upstream sent nothing for the service's
// stream_idle_timeout, and the stream was cut off.
var ErrStreamIdle = errors.New("the upstream's stream went silent")

// idleBody cuts a stream (server-sent events) whose upstream stops sending:
// once a stream's headers arrive the whole-request timeout no longer holds it,
// so without this an upstream that hangs mid-stream would hold the client's
// connection, the gateway's goroutines and a bulkhead slot for ever. Every
// read that returns data re-arms the timer; when it fires, the request's
// context is cancelled with ErrStreamIdle, which fails the read in progress.
type idleBody struct {
	io.ReadCloser
	idle  time.Duration
	timer *time.Timer
}

// watchIdle wraps a stream's body; ex.cancel ends it when it stays silent.
func watchIdle(body io.ReadCloser, idle time.Duration, ex *exchange) io.ReadCloser {
	if idle <= 0 {
		return body
	}
	b := &idleBody{ReadCloser: body, idle: idle}
	b.timer = time.AfterFunc(idle, func() { ex.cancel(ErrStreamIdle) })
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	return b.ReadCloser.Close()
}
