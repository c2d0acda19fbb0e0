// Package demo runs the sample upstream services that `bulwark demo` puts behind the
// gateway, so that a user sees routing, load balancing, streaming and the documentation
// portal work before pointing bulwark at their own services.
//
// There are three services, one per kind of document the catalog understands:
//
//   - pets: a JSON API described by an OpenAPI 3.1 document (GET /openapi.json), with a
//     server-sent events stream (GET /pets/events) to show streaming through the gateway.
//   - orders: a JSON API described by a Swagger 2.0 document (GET /swagger.json), with a
//     form-encoded operation, to exercise the 2 → 3 conversion.
//   - library: a HAL API (application/hal+json) with CURIEs, templated links and HAL-FORMS,
//     routed with strip_prefix; it builds its links from X-Forwarded-Prefix, -Host and
//     -Proto, which shows why the gateway sends them.
//
// The services are real rather than canned responses: state lives in memory and every
// operation in a document works, so the portal's "try it" console and the resilience
// tests see real behaviour. Each service runs as two instances on free loopback ports, and
// the two instances of one service share a single store, as two replicas share a
// database: a write through one instance is read back through the other whichever
// instance the balancer picks.
//
// Only the standard library is used. Every instance is an http.Server with header and idle
// timeouts; Close (or the end of the context given to Start) shuts them down gracefully,
// bounded by shutdownTimeout, and waits for every goroutine it started.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	// instancesPerService is two so that load balancing and failover have a choice.
	instancesPerService = 2
	// shutdownTimeout bounds a graceful shutdown; connections still open after it are closed.
	shutdownTimeout = 5 * time.Second
)

// Service describes one running sample service.
type Service struct {
	Name        string   // "pets", "orders", "library"
	Route       string   // "/pets", "/orders", "/library"
	StripPrefix bool     // true only for library
	Instances   []string // two "127.0.0.1:PORT" addresses
	OpenAPI     string   // path of its OpenAPI/Swagger document on an instance ("/openapi.json", "/swagger.json", "" for library)
	HAL         string   // path of its HAL root ("/" for library, "" otherwise)
}

// Fleet is the set of running sample services.
type Fleet struct {
	Services []Service

	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu  sync.Mutex
	err error // errors from serving and shutting down, joined
}

// Start starts every sample service, two instances each, on free loopback ports.
// They stop when ctx ends or Close is called.
func Start(ctx context.Context, log *slog.Logger) (*Fleet, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "demo")
	ctx, cancel := context.WithCancel(ctx)

	apps := []app{newPets(ctx), newOrders(), newLibrary()}
	var (
		servers   []*http.Server
		listeners []net.Listener
	)
	for i := range apps {
		a := &apps[i]
		alog := log.With("service", a.Name)
		h := a.handler(alog)
		for range instancesPerService {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				for _, l := range listeners {
					l.Close()
				}
				cancel()
				return nil, fmt.Errorf("listening for demo service %s: %w", a.Name, err)
			}
			listeners = append(listeners, ln)
			servers = append(servers, newServer(withFaults(h), alog))
			a.Instances = append(a.Instances, ln.Addr().String())
		}
	}

	f := &Fleet{cancel: cancel}
	for _, a := range apps {
		f.Services = append(f.Services, a.Service)
		// One line per instance, its address last: the README sends users
		// here for the address to PUT /_demo/fault to.
		for i, addr := range a.Instances {
			log.Info("demo service started", "service", a.Name, "route", a.Route, "instance", i+1, "addr", addr)
		}
	}
	for i, srv := range servers {
		ln := listeners[i]
		f.wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				f.record(fmt.Errorf("serving demo instance %s: %w", ln.Addr(), err))
			}
		})
	}
	f.wg.Go(func() {
		<-ctx.Done()
		f.shutdown(servers)
	})
	return f, nil
}

// Close shuts every instance down gracefully (bounded: 5s) and waits for its goroutines.
// It may be called more than once; every call returns the same error.
func (f *Fleet) Close() error {
	f.cancel()
	f.wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// shutdown stops all servers in parallel under one shared deadline. Streaming handlers
// watch the fleet's context, already cancelled here, so they do not hold Shutdown up.
func (f *Fleet) shutdown(servers []*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(func() {
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close() // the deadline passed: drop what is left
				f.record(fmt.Errorf("shutting down demo instance: %w", err))
			}
		})
	}
	wg.Wait()
}

func (f *Fleet) record(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = errors.Join(f.err, err)
}

// newServer returns a server with the timeouts every bulwark listener has. There is no
// ReadTimeout or WriteTimeout: either would cut the server-sent events stream, and
// request bodies are bounded by size (maxBodyBytes) instead.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
