package gateway

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// serveH2C serves the harness's gateway on a second listener that speaks
// HTTP/2 with prior knowledge (h2c), so a test can write raw frames that no
// well-behaved client would send.
func serveH2C(t testing.TB, h *harness) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h.g)
	srv.Config.ErrorLog = discardLog()
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// h2Result is what came back on a raw HTTP/2 stream: a status, or a reset.
type h2Result struct {
	status int
	body   []byte
	reset  bool // the server reset the stream or the connection
}

// rawH2 sends one request made of the given header fields, in order and
// unvalidated, on a fresh h2c connection, and reads the answer.
func rawH2(t testing.TB, addr string, fields [][2]string) h2Result {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range fields {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{
		StreamID: 1, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true,
	}); err != nil {
		t.Fatal(err)
	}
	var res h2Result
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			res.reset = res.status == 0
			return res
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		case *http2.MetaHeadersFrame:
			if f.StreamID == 1 {
				res.status, _ = strconv.Atoi(f.PseudoValue("status"))
				if f.StreamEnded() {
					return res
				}
			}
		case *http2.DataFrame:
			if f.StreamID == 1 {
				res.body = append(res.body, f.Data()...)
				if f.StreamEnded() {
					return res
				}
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == 1 {
				res.reset = true
				return res
			}
		case *http2.GoAwayFrame:
			res.reset = res.status == 0
			return res
		}
	}
}

// h2Get is the header block of a GET for path, with extra fields appended.
func h2Get(method, path string, extra ...[2]string) [][2]string {
	fields := [][2]string{
		{":method", method}, {":scheme", "http"}, {":authority", "shop.example.com"}, {":path", path},
	}
	return append(fields, extra...)
}
