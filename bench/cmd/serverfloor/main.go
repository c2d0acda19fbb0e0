// Command serverfloor answers every request with the same 1 KiB body, served
// three ways, to measure what a Go HTTP/1.1 server costs per request before
// any gateway work: the floor under bulwark's cache hits (issue 16) and its
// proxied requests (issue 19).
//
//	nethttp      net/http's server (what bulwark serves with)
//	readrequest  a loop around http.ReadRequest and a fixed response: the
//	             standard parser without net/http's per-request machinery
//	raw          a loop that finds each request's blank line and answers:
//	             no parsing at all, the cost of the syscalls and scheduling
//
// It is a measuring tool, never a server: it listens on loopback only, and
// the two loops skip every check a server owes its clients.
//
//	go run ./bench/cmd/serverfloor -mode readrequest -addr 127.0.0.1:18080
package main

import (
	"bufio"
	"bytes"
	"flag"
	"log"
	"net"
	"net/http"
	"strings"
)

var body = bytes.Repeat([]byte("x"), 1024)

func main() {
	mode := flag.String("mode", "nethttp", "nethttp, readrequest or raw")
	addr := flag.String("addr", "127.0.0.1:18080", "loopback address to listen on")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*addr); err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("serverfloor: -addr must be a loopback host:port, got %q", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	switch *mode {
	case "nethttp":
		log.Fatal((&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})}).Serve(ln))
	case "readrequest", "raw":
		for {
			c, err := ln.Accept()
			if err != nil {
				log.Fatal(err)
			}
			go loop(c, *mode == "raw")
		}
	default:
		log.Fatalf("serverfloor: unknown -mode %q", *mode)
	}
}

var response = append([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n"+
	"Date: Thu, 03 Dec 2026 16:00:00 GMT\r\n\r\n"), body...)

// loop answers one connection's requests; raw finds each request's end by
// its blank line instead of parsing it.
func loop(c net.Conn, raw bool) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 4096)
	for {
		if raw {
			for {
				line, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if len(strings.TrimRight(string(line), "\r\n")) == 0 {
					break
				}
			}
		} else {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_ = req.Body.Close()
		}
		_, _ = bw.Write(response)
		if br.Buffered() == 0 {
			if bw.Flush() != nil {
				return
			}
		}
	}
}
