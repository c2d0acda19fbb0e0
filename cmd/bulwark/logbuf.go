package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// bufferedLog batches access-log lines into few writes: one write(2) per request
// line would cost a proxy core a large share of its throughput (as nginx's
// `access_log ... buffer= flush=` knows). Lines reach the output at the latest
// after flushEvery, when the buffer fills, and on Close.
type bufferedLog struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

const (
	accessLogBuffer = 64 << 10
	flushEvery      = 100 * time.Millisecond
)

func newBufferedLog(out io.Writer) *bufferedLog {
	b := &bufferedLog{
		w:    bufio.NewWriterSize(out, accessLogBuffer),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go b.flushLoop()
	return b
}

// Write buffers one line; slog handlers call it once per record.
func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *bufferedLog) flushLoop() {
	defer close(b.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.flush()
		}
	}
}

func (b *bufferedLog) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.w.Flush()
}

// Close stops the flusher and writes out what is buffered. It is idempotent.
func (b *bufferedLog) Close() error {
	b.once.Do(func() {
		close(b.stop)
		<-b.done
		b.flush()
	})
	return nil
}
