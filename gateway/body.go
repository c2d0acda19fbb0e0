package gateway

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
)

// requestBody wraps the client's request body to remember why reading it failed.
// A failure there is the client's (a malformed chunk, a body cut off by the
// server's read timeout, a client that left), and must never be reported as, or
// counted against, an upstream failure: otherwise a bad client could make a
// healthy upstream look broken.
type requestBody struct {
	io.Reader
	closer io.Closer
	err    error
}

func (b *requestBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && b.err == nil {
		b.err = err
	}
	return n, err
}

func (b *requestBody) Close() error { return b.closer.Close() }

// wrapBody makes a requestBody for r's body, to be set on the copy of r handed to
// ReverseProxy, never on r itself: net/http's response writer inspects its own
// request's Body (for Expect: 100-continue) and, seeing a foreign type, would
// drain the body before answering, stalling a client that waits for 100 Continue.
// A chunked body is read ahead until its
// first chunk has been decoded, so a malformed one (bare LF in the size line,
// an oversized chunk extension) is refused before any
// upstream connection is used; errors in later chunks can only be caught as they
// stream, and then the client still gets a 400 rather than a 502.
func wrapBody(r *http.Request) (*requestBody, *BadRequestError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b := &requestBody{Reader: r.Body, closer: r.Body}
	if r.ContentLength < 0 {
		br := bufio.NewReaderSize(r.Body, 512)
		if _, err := br.Peek(1); err != nil && !errors.Is(err, io.EOF) {
			return nil, &BadRequestError{Reason: "the request body is malformed: " + err.Error()}
		}
		b.Reader = br
	}
	return b, nil
}

// bodyError maps a failure to read the client's body to the client's error:
// 408 when the server's read timeout cut it off, 400 when it was malformed, or
// ErrClientGone when the client left.
func bodyError(err error, clientGone bool) error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return ErrRequestTimeout
	case clientGone && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)):
		return ErrClientGone
	default:
		return &BadRequestError{Reason: "the request body is malformed: " + err.Error()}
	}
}
