package accesslog

import (
	"log/slog"
	"strconv"
	"time"
)

// Entry is one request line: what the gateway knows when a request ends. The
// direct path (LogRequest) and the generic one (Record, for any other
// slog.Handler) write the same attributes in the same order, so switching
// handlers changes no line.
type Entry struct {
	Method, Host, Path string
	Status             int
	Bytes              int64
	Duration           time.Duration
	Remote, RequestID  string
	Route, Service     string // empty when no route matched
	Consumer           string // who authentication found; empty when none
	Instance, Err      string // empty when none
}

// LogRequest writes e as Handle would write e.Record(now).
func (h *Handler) LogRequest(now time.Time, e *Entry) error {
	bp := lineBuffers.Get().(*[]byte)
	b := h.begin((*bp)[:0], now, slog.LevelInfo, "request")
	b = h.str(b, "method", e.Method)
	b = h.str(b, "host", e.Host)
	b = h.str(b, "path", e.Path)
	b = strconv.AppendInt(h.key(b, "status"), int64(e.Status), 10)
	b = strconv.AppendInt(h.key(b, "bytes"), e.Bytes, 10)
	b = h.appendDuration(h.key(b, "duration"), e.Duration)
	b = h.str(b, "remote", e.Remote)
	b = h.str(b, "request_id", e.RequestID)
	if e.Route != "" || e.Service != "" {
		b = h.str(b, "route", e.Route)
		b = h.str(b, "service", e.Service)
	}
	if e.Consumer != "" {
		b = h.str(b, "consumer", e.Consumer)
	}
	if e.Instance != "" {
		b = h.str(b, "instance", e.Instance)
	}
	if e.Err != "" {
		b = h.str(b, "error", e.Err)
	}
	return h.finish(bp, b)
}

// Record is the entry as a slog.Record, for access-log handlers other than
// this package's. The record is built by hand rather than through
// slog.Logger, which would capture the caller's program counter for every
// line (an access line's source is always the same).
func (e *Entry) Record(now time.Time) slog.Record {
	var attrs [14]slog.Attr // one AddAttrs call: the record allocates its overflow once
	a := append(attrs[:0],
		slog.String("method", e.Method),
		slog.String("host", e.Host),
		slog.String("path", e.Path),
		slog.Int("status", e.Status),
		slog.Int64("bytes", e.Bytes),
		slog.Duration("duration", e.Duration),
		slog.String("remote", e.Remote),
		slog.String("request_id", e.RequestID),
	)
	if e.Route != "" || e.Service != "" {
		a = append(a, slog.String("route", e.Route), slog.String("service", e.Service))
	}
	if e.Consumer != "" {
		a = append(a, slog.String("consumer", e.Consumer))
	}
	if e.Instance != "" {
		a = append(a, slog.String("instance", e.Instance))
	}
	if e.Err != "" {
		a = append(a, slog.String("error", e.Err))
	}
	r := slog.NewRecord(now, slog.LevelInfo, "request", 0)
	r.AddAttrs(a...)
	return r
}
