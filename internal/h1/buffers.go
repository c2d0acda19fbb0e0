package h1

import (
	"bufio"
	"io"
	"sync"
)

// A connection holds its buffers only while a request is on it: the write
// buffer from the request's first byte to its flush, the read buffer from the
// response's first byte to the end of its body. Idle connections, and long
// polls still waiting for their answer, hold none.
//
// Why: a gateway keeps an idle connection per upstream it has talked to, and
// the Consul source a long poll per watched service. With buffers held for the
// connection's life, 1,000 services cost 8 KiB per idle upstream connection
// and 5 KiB per parked long poll, about 13 MiB of heap for bytes nobody reads
// (issue 20). Pooled, they cost what the requests in flight need.
//
// Pools are shared by every Transport and keyed by size, since each Transport
// takes its sizes from its fallback and most share the defaults; a Transport
// looks its two up once (New), not per request.
var readPools, writePools sync.Map // int → *sync.Pool

// bufPool is the pool of buffers of one size.
type bufPool struct {
	size int
	p    *sync.Pool
}

func poolOf(pools *sync.Map, size int) bufPool {
	p, ok := pools.Load(size) // every service's Transport asks; the first makes it
	if !ok {
		p, _ = pools.LoadOrStore(size, &sync.Pool{})
	}
	return bufPool{size: size, p: p.(*sync.Pool)}
}

// reader returns a read buffer reading from r.
func (bp bufPool) reader(r io.Reader) *bufio.Reader {
	if br, ok := bp.p.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, bp.size)
}

// putReader gives br back. Its caller must hold no slice of its buffer (a
// Peek's or a ReadSlice's) and must not read from it again.
func (bp bufPool) putReader(br *bufio.Reader) {
	br.Reset(nil)
	bp.p.Put(br)
}

// writer returns a write buffer writing to w.
func (bp bufPool) writer(w io.Writer) *bufio.Writer {
	if bw, ok := bp.p.Get().(*bufio.Writer); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, bp.size)
}

// putWriter gives bw back; what it still buffers is dropped.
func (bp bufPool) putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	bp.p.Put(bw)
}

// firstByte is the reader a long poll's read buffer reads from: the byte its
// wait took off the connection (see conn.awaitAnswer), then the connection.
type firstByte struct {
	b    [1]byte
	done bool
	r    io.Reader
}

func (f *firstByte) Read(p []byte) (int, error) {
	if f.done {
		return f.r.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0], f.done = f.b[0], true
	return 1, nil
}
