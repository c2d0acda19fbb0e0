// Command upstream is the benchmark's origin server: it answers every request, on
// any path and method, with the same 1 KiB JSON body (Content-Type
// application/json, explicit Content-Length, keep-alive). It does as little work as
// possible so that the load it adds next to the load tool stays small and constant.
package main

import (
	"bytes"
	"flag"
	"log"
	"net/http"
	"strconv"
	"time"
)

// bodySize is the exact size of the response body in bytes.
const bodySize = 1024

// makeBody builds a valid JSON object of exactly bodySize bytes.
func makeBody() []byte {
	const head = `{"service":"bench-upstream","ok":true,"padding":"`
	const tail = `"}` + "\n"
	var b bytes.Buffer
	b.WriteString(head)
	for b.Len() < bodySize-len(tail) {
		b.WriteByte('x')
	}
	b.WriteString(tail)
	return b.Bytes()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	flag.Parse()

	body := makeBody()
	if len(body) != bodySize {
		log.Fatalf("upstream: body is %d bytes, want %d", len(body), bodySize)
	}
	contentType := []string{"application/json"}
	contentLength := []string{strconv.Itoa(len(body))}

	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr["Content-Type"] = contentType
		hdr["Content-Length"] = contentLength
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})

	srv := &http.Server{
		Addr:              *addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
