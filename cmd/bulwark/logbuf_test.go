package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an output the test can read while the flusher writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func TestBufferedLogConcurrentWriters(t *testing.T) {
	tests := []struct {
		name    string
		writers int
		lines   int
		pad     int // bytes of padding per line
	}{
		{name: "short lines from many writers each arrive once and in each writer's order", writers: 16, lines: 500, pad: 0},
		{name: "lines larger than the buffer arrive whole, once and in order", writers: 4, lines: 20, pad: accessLogBuffer + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &syncBuffer{}
			b := newBufferedLog(out)
			pad := strings.Repeat("x", tt.pad)

			var wg sync.WaitGroup
			for w := range tt.writers {
				wg.Go(func() {
					for i := range tt.lines {
						line := fmt.Sprintf("w%d %d %s\n", w, i, pad)
						if n, err := b.Write([]byte(line)); err != nil || n != len(line) {
							t.Errorf("Write = %d, %v; want %d, nil", n, err, len(line))
							return
						}
					}
				})
			}
			wg.Wait()
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			next := make([]int, tt.writers) // the line number expected next from each writer
			for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
				parts := strings.SplitN(line, " ", 3)
				if len(parts) != 3 || !strings.HasPrefix(parts[0], "w") || parts[2] != pad {
					t.Fatalf("garbled line %.60q: interleaved with another line?", line)
				}
				w, errW := strconv.Atoi(parts[0][1:])
				i, errI := strconv.Atoi(parts[1])
				if errW != nil || errI != nil || w < 0 || w >= tt.writers {
					t.Fatalf("garbled line %.60q", line)
				}
				if i != next[w] {
					t.Fatalf("writer %d: got line %d, want line %d (lost, repeated or reordered)", w, i, next[w])
				}
				next[w]++
			}
			for w, n := range next {
				if n != tt.lines {
					t.Errorf("writer %d: %d lines arrived, want %d", w, n, tt.lines)
				}
			}
		})
	}
}

func TestBufferedLogFlushesWithoutClose(t *testing.T) {
	t.Run("a buffered line reaches the output without Close", func(t *testing.T) {
		out := &syncBuffer{}
		b := newBufferedLog(out)
		defer b.Close()

		const line = "GET /pets 200\n"
		if _, err := b.Write([]byte(line)); err != nil {
			t.Fatalf("Write: %v", err)
		}
		// Poll for the flusher (every flushEvery); 2 s bounds a hang, not a timing claim.
		deadline := time.Now().Add(2 * time.Second)
		for out.String() != line {
			if time.Now().After(deadline) {
				t.Fatalf("output after 2s without Close = %q, want %q", out.String(), line)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestBufferedLogClose(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{name: "Close with nothing buffered writes nothing", lines: nil, want: ""},
		{name: "Close flushes the buffered lines", lines: []string{"a\n", "b\n"}, want: "a\nb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &syncBuffer{}
			b := newBufferedLog(out)
			for _, l := range tt.lines {
				if _, err := b.Write([]byte(l)); err != nil {
					t.Fatalf("Write: %v", err)
				}
			}
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("output after Close = %q, want %q", got, tt.want)
			}
			for i := range 3 {
				if err := b.Close(); err != nil {
					t.Errorf("Close #%d = %v, want nil", i+2, err)
				}
			}
			if got := out.String(); got != tt.want {
				t.Errorf("output after repeated Close = %q, want %q (written again?)", got, tt.want)
			}
		})
	}
	t.Run("concurrent Close calls all return after the flush", func(t *testing.T) {
		out := &syncBuffer{}
		b := newBufferedLog(out)
		if _, err := b.Write([]byte("line\n")); err != nil {
			t.Fatalf("Write: %v", err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if err := b.Close(); err != nil {
					t.Errorf("Close = %v", err)
				}
				if got := out.String(); got != "line\n" {
					t.Errorf("output seen after Close returned = %q, want %q", got, "line\n")
				}
			})
		}
		wg.Wait()
	})
}
