package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-gw/bulwark/catalog"
	"github.com/bulwark-gw/bulwark/config"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/internal/accesslog"
	bwtls "github.com/bulwark-gw/bulwark/tls"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
)

// process is one running gateway process: listeners, the gateway, and the last
// configuration that applied cleanly.
type process struct {
	log   *slog.Logger
	level *slog.LevelVar
	// accessOut buffers the access log; Close flushes it at exit.
	accessOut *bufferedLog
	gw        *gateway.Gateway
	reg       *prometheus.Registry
	metrics   *processMetrics
	token     string

	// consul is the Consul source, when the file configures one (discovery.go).
	consul *discovery.Consul
	// certs are the HTTPS listener's certificates, when it has one (https.go).
	certs *bwtls.Store
	// catalog gathers the services' API documents (portal.go).
	catalog *catalog.Catalog

	mu sync.Mutex // guards what follows
	// current is the last configuration that applied. apply replaces it from
	// the reload goroutine, so every other goroutine reads it under mu (config)
	// or is handed the file it needs; a *config.File is never changed once
	// applied.
	current *config.File
	status  reloadStatus
	version uint64 // snapshot version counter
	// staticSnap and consulSnap are each source's latest snapshot; the gateway
	// routes with their merge.
	staticSnap, consulSnap *discovery.Snapshot
}

// reloadStatus is served at /api/v1/status.
type reloadStatus struct {
	Version      string    `json:"version"`
	ConfigFile   string    `json:"config_file"`
	LoadedAt     time.Time `json:"loaded_at"`
	LastReload   time.Time `json:"last_reload,omitzero"`
	LastResult   string    `json:"last_result,omitempty"`
	LastProblems []string  `json:"last_problems,omitempty"`
}

// newRuntime builds the process around a validated configuration.
func newRuntime(f *config.File, source string, stderr io.Writer) (*process, error) {
	level := new(slog.LevelVar)
	level.Set(f.LogLevel())
	log := newLogger(stderr, f.LogFormat(), level)

	accessOut := newBufferedLog(stderr)
	access := slog.New(accesslog.New(accessOut, f.LogFormat() == "json"))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	token, generated, err := adminToken(f.Admin)
	if err != nil {
		_ = accessOut.Close()
		return nil, err
	}
	rt := &process{
		log:       log,
		level:     level,
		accessOut: accessOut,
		gw:        gateway.New(gateway.Options{Logger: log, AccessLog: access, Registerer: reg}),
		reg:       reg,
		metrics:   newProcessMetrics(reg),
		token:     token,
		status:    reloadStatus{Version: versionString(), ConfigFile: source, LoadedAt: time.Now()},
	}
	if generated && f.AdminAddr() != "" {
		fmt.Fprintf(stderr, "bulwark: admin token (generated, set admin.token to fix it): %s\n", token)
	}
	rt.startCatalog(f)
	if err := rt.apply(f); err != nil {
		_ = accessOut.Close()
		return nil, err
	}
	if err := rt.startConsul(f); err != nil {
		_ = accessOut.Close()
		return nil, err
	}
	if err := rt.loadCertificates(f, stderr); err != nil {
		_ = accessOut.Close()
		return nil, err
	}
	return rt, nil
}

// apply installs a validated configuration: routes, policies and the static
// instances, in one atomic switch of the gateway's state.
func (rt *process) apply(f *config.File) error {
	gcfg, err := f.Gateway()
	if err != nil {
		return err
	}
	gcfg.Security = rt.operationSecurity() // the documents auth.from_openapi enforces (security.go)
	gcfg.Contracts = rt.contracts()        // the documents validate holds traffic to (contract.go)
	static, err := discovery.NewStatic(f.StaticServices())
	if err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.version++
	rt.staticSnap = static.Snapshot()
	merged := discovery.Merge(rt.version, rt.staticSnap, rt.consulSnap)
	rt.gw.Configure(gcfg, merged)
	full := *merged
	full.Changed = nil // routes may have moved: every service's document is looked at again
	rt.catalogUpdate(&full)
	rt.level.Set(f.LogLevel())
	rt.current = f
	return nil
}

// config returns the last configuration that applied.
func (rt *process) config() *config.File {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.current
}

// serve runs the listeners until ctx ends, then drains: readiness turns 503, after
// the drain delay the listeners close, in-flight requests get the grace period,
// and whatever is still open after it (streams, WebSockets) is cut.
func (rt *process) serve(ctx context.Context, reload <-chan struct{}, reloadFn func()) error {
	f := rt.config()
	baseCtx, cutStreams := context.WithCancel(context.Background())
	defer cutStreams()

	var servers []*http.Server
	var listeners []net.Listener
	errLog := slog.NewLogLogger(rt.log.With("component", "http").Handler(), slog.LevelWarn)
	traffic := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: f.ReadHeaderTimeout(),
			ReadTimeout:       f.ReadTimeout(),
			WriteTimeout:      f.WriteTimeout(),
			IdleTimeout:       f.IdleTimeout(),
			MaxHeaderBytes:    f.MaxHeaderBytes(),
			ErrorLog:          errLog,
			BaseContext:       func(net.Listener) context.Context { return baseCtx },
		}
	}
	if addr := f.HTTPAddr(); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listening for traffic: %w", err)
		}
		listeners = append(listeners, ln)
		var h http.Handler = rt.gw
		if f.TLS.RedirectHTTP {
			h = redirectToHTTPS(f.Listen.HTTPS)
		}
		srv := traffic(h)
		if f.Listen.H2C {
			// HTTP/2 with prior knowledge beside HTTP/1.1; never the h2c
			// Upgrade dance, which the gateway refuses to forward.
			srv.Protocols = new(http.Protocols)
			srv.Protocols.SetHTTP1(true)
			srv.Protocols.SetUnencryptedHTTP2(true)
		}
		servers = append(servers, srv)
		rt.log.Info("gateway listening", "addr", "http://"+ln.Addr().String(), "redirect_to_https", f.TLS.RedirectHTTP,
			"h2c", f.Listen.H2C)
	}
	if addr := f.Listen.HTTPS; addr != "" {
		ln, srv, err := rt.httpsServer(addr, f.TLS.MinVersion, traffic(withHSTS(rt.gw, f.TLS.HSTS)))
		if err != nil {
			closeAll(listeners)
			return err
		}
		listeners = append(listeners, ln)
		servers = append(servers, srv)
		rt.log.Info("gateway listening", "addr", "https://"+ln.Addr().String())
	}
	if addr := f.AdminAddr(); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll(listeners)
			return fmt.Errorf("listening for admin: %w", err)
		}
		listeners = append(listeners, ln)
		servers = append(servers, &http.Server{
			Handler: rt.gw.AdminHandler(gateway.AdminOptions{
				Token: rt.token, Gatherer: rt.reg, Status: rt.statusView,
				Ready: rt.discoveryReady, Discovery: rt.discoveryView, WriteToken: f.Admin.WriteToken,
				Certificates: rt.certificatesView,
			}),
			ReadHeaderTimeout: 5 * time.Second,
			IdleTimeout:       f.IdleTimeout(),
			ErrorLog:          errLog,
		})
		rt.log.Info("admin listening", "addr", "http://"+ln.Addr().String())
	}

	g, gctx := errgroup.WithContext(ctx)
	for i, srv := range servers {
		ln := listeners[i]
		g.Go(func() error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	g.Go(func() error { return rt.runConsul(gctx) })
	g.Go(func() error { return rt.runCatalog(gctx) })
	if rt.certs != nil {
		g.Go(func() error { return rt.certs.Watch(gctx) })
	}
	var trafficAddr, adminAddr net.Addr
	if f.HTTPAddr() != "" {
		trafficAddr = listeners[0].Addr()
	}
	if f.AdminAddr() != "" {
		adminAddr = listeners[len(listeners)-1].Addr()
	}
	// The registration is fixed at start (restartOnly says so), so it reads
	// the file serve started with, never rt.current, which reloads replace.
	g.Go(func() error { return rt.keepRegistered(gctx, f, trafficAddr, adminAddr) })
	g.Go(func() error {
		for {
			select {
			case <-gctx.Done():
				return nil
			case <-reload:
				reloadFn()
			}
		}
	})
	g.Go(func() error {
		<-gctx.Done()
		rt.shutdown(servers, cutStreams)
		return nil
	})
	return g.Wait()
}

func (rt *process) shutdown(servers []*http.Server, cutStreams context.CancelFunc) {
	f := rt.config()
	rt.gw.Drain()
	rt.log.Info("shutting down: readiness is now 503", "drain_delay", f.DrainDelay(), "grace", f.Grace())
	time.Sleep(f.DrainDelay())
	ctx, cancel := context.WithTimeout(context.Background(), f.Grace())
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(ctx); err != nil {
				rt.log.Warn("grace period over; closing remaining connections", "err", err)
				cutStreams()
				_ = srv.Close()
			}
		}()
	}
	wg.Wait()
	cutStreams()
	rt.gw.Close()
	_ = rt.accessOut.Close()
	rt.log.Info("stopped")
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		_ = ln.Close()
	}
}

func (rt *process) statusView() any {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.status
}

// adminToken returns the configured token, or a generated one.
func adminToken(a config.Admin) (token string, generated bool, err error) {
	switch {
	case a.Token != "":
		return a.Token, false, nil
	case a.TokenFile != "":
		b, err := os.ReadFile(a.TokenFile)
		if err != nil {
			return "", false, fmt.Errorf("reading admin.token_file: %w", err)
		}
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", false, fmt.Errorf("admin.token_file %s is empty", a.TokenFile)
		}
		return t, false, nil
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b), true, nil
}

// newLogger builds a text or JSON logger; a nil level logs from info up.
// Durations are written as Go writes them ("15s", "1.5ms") in both formats:
// slog's JSONHandler would write nanoseconds (15000000000), which nobody reads
// at a glance, while a duration string is what the config file and the text
// format use. This is slog's own hook for it (ReplaceAttr), so every line of
// every component gets it, and code logs time.Duration values as they are.
func newLogger(w io.Writer, format string, level *slog.LevelVar) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: durationText}
	if level != nil {
		opts.Level = level
	}
	if strings.EqualFold(format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// durationText is the ReplaceAttr that writes a time.Duration as its String.
func durationText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}
