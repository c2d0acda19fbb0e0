package test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// rawResult is what came back on a raw connection for one request.
type rawResult struct {
	Status int // 0 when no response could be read
	Header http.Header
	Body   string
	Err    error // reading the response
	// Closed is true when the server closed the connection after the response.
	Closed bool
	// Extra holds bytes that followed the first response: a second response means
	// the gateway read the request differently from how it was framed.
	Extra []byte
}

// rawRequest writes req on a new connection to addr, exactly as given, and reads
// one response (with a deadline), then whatever else arrives within a short wait.
// The write runs beside the read, so a server that answers and hangs up before
// the client finished writing (431) is still heard.
func rawRequest(t *testing.T, addr string, req []byte) rawResult {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dialing %s: %v", addr, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(reqTimeout)); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_, _ = conn.Write(req) // the server may refuse half-way; the response says why
	}()
	defer func() {
		conn.Close()
		<-wrote
	}()

	var out rawResult
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		out.Err = err
		return out
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	out.Status, out.Header, out.Body = res.StatusCode, res.Header, string(body)
	if err != nil {
		out.Err = err
		return out
	}
	// Anything after the response? A short wait tells EOF (closed) from silence.
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	extra, err := io.ReadAll(br)
	out.Extra = extra
	var ne net.Error
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), isConnReset(err):
		out.Closed = true
	case errors.As(err, &ne) && ne.Timeout():
	}
	return out
}

func isConnReset(err error) bool {
	var oe *net.OpError
	if !errors.As(err, &oe) {
		return false
	}
	var se *os.SyscallError
	return errors.As(oe.Err, &se)
}
