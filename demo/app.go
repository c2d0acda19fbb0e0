package demo

import (
	"log/slog"
	"net/http"
	"time"
)

// app is one sample service before it runs: what the gateway needs to know about it,
// the operations it serves and the document it describes itself with.
type app struct {
	Service         // Instances is filled in by Start
	routes  []route // the operations its document describes
	doc     []byte  // served at Service.OpenAPI when that is set
}

// route is one operation. Services list them in a table, rather than registering them
// directly, so that a test can compare the table with the service's document.
type route struct {
	pattern string // an http.ServeMux pattern with a method, e.g. "GET /pets/{id}"
	handler http.HandlerFunc
}

// handler returns the service's HTTP handler: its routes, GET /healthz and its document.
// Both instances of a service share the returned handler, and so the service's store.
// A path that exists answers another method with 405 and an Allow header (ServeMux).
func (a *app) handler(log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.routes {
		mux.HandleFunc(rt.pattern, rt.handler)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ok", "service": a.Name})
	})
	if a.OpenAPI != "" {
		doc := a.doc
		mux.HandleFunc("GET "+a.OpenAPI, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Write(doc)
		})
	}
	return logRequests(log, mux)
}

// logRequests logs every request at debug level, once it is answered.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)))
	})
}

// statusRecorder remembers the status code. Unwrap lets http.ResponseController reach the
// underlying writer, which the events stream needs to flush.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
