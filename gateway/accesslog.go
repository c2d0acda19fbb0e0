package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// AccessLogHandler is the slog.Handler bulwark uses for its access log. Any slog
// handler works (Options.AccessLog); this one adds a direct path for the
// gateway's own request lines, which skips building a slog.Record and encodes the
// known fields straight into a pooled buffer, reusing the timestamp text within a
// millisecond. Its lines are byte for byte those of slog's TextHandler (logfmt)
// or JSONHandler, so log pipelines see one format; the direct path measured about
// a third of the generic cost, on a line written for every request.
type AccessLogHandler struct {
	w      io.Writer
	json   bool
	prefix []byte // attributes from WithAttrs, encoded
	group  string
	stamp  *atomic.Pointer[timeText] // shared by the handlers derived from one
}

// timeText caches the formatted time of one millisecond.
type timeText struct {
	ms   int64
	text string
}

// NewAccessLogHandler writes one line per record to w, as JSON when json is true,
// else as logfmt. w gets one Write per line and must be safe for concurrent use.
func NewAccessLogHandler(w io.Writer, json bool) *AccessLogHandler {
	return &AccessLogHandler{w: w, json: json, stamp: new(atomic.Pointer[timeText])}
}

var _ slog.Handler = (*AccessLogHandler)(nil)

// Enabled takes info and above: the access log has no debug lines.
func (h *AccessLogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo
}

// WithAttrs returns a handler that writes attrs on every line.
func (h *AccessLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	// Encoded after a stand-in for the line's start, so that each attribute gets
	// its separator (the line always has time, level and msg before them).
	b := append([]byte("{x"), h.prefix...)
	for _, a := range attrs {
		b = h2.appendAttr(b, a)
	}
	h2.prefix = b[2:]
	return &h2
}

// WithGroup returns a handler that prefixes later keys with name.
func (h *AccessLogHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Handle writes any record: the generic path.
func (h *AccessLogHandler) Handle(_ context.Context, r slog.Record) error {
	bp := lineBuffers.Get().(*[]byte)
	b := h.begin((*bp)[:0], r.Time, r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b = h.appendAttr(b, a)
		return true
	})
	return h.finish(bp, b)
}

// accessEntry is one request line of the direct path.
type accessEntry struct {
	method, host, path string
	status             int
	bytes              int64
	duration           time.Duration
	remote, requestID  string
	route, service     string // empty when no route matched
	instance, err      string // empty when none
}

// logRequest writes e as Handle would write the equivalent record.
func (h *AccessLogHandler) logRequest(now time.Time, e *accessEntry) error {
	bp := lineBuffers.Get().(*[]byte)
	b := h.begin((*bp)[:0], now, slog.LevelInfo, "request")
	b = h.str(b, "method", e.method)
	b = h.str(b, "host", e.host)
	b = h.str(b, "path", e.path)
	b = strconv.AppendInt(h.key(b, "status"), int64(e.status), 10)
	b = strconv.AppendInt(h.key(b, "bytes"), e.bytes, 10)
	b = h.appendDuration(h.key(b, "duration"), e.duration)
	b = h.str(b, "remote", e.remote)
	b = h.str(b, "request_id", e.requestID)
	if e.route != "" || e.service != "" {
		b = h.str(b, "route", e.route)
		b = h.str(b, "service", e.service)
	}
	if e.instance != "" {
		b = h.str(b, "instance", e.instance)
	}
	if e.err != "" {
		b = h.str(b, "error", e.err)
	}
	return h.finish(bp, b)
}

func (h *AccessLogHandler) begin(b []byte, t time.Time, level slog.Level, msg string) []byte {
	if h.json {
		b = append(b, '{')
	}
	if !t.IsZero() {
		b = h.appendString(h.key(b, slog.TimeKey), h.timeText(t))
	}
	b = h.appendString(h.key(b, slog.LevelKey), level.String())
	b = h.appendString(h.key(b, slog.MessageKey), msg)
	return append(b, h.prefix...)
}

func (h *AccessLogHandler) finish(bp *[]byte, b []byte) error {
	if h.json {
		b = append(b, '}')
	}
	b = append(b, '\n')
	_, err := h.w.Write(b)
	*bp = b
	lineBuffers.Put(bp)
	return err
}

// timeText formats t as slog does: RFC 3339 with milliseconds in logfmt (cached
// for the millisecond), with nanoseconds in JSON.
func (h *AccessLogHandler) timeText(t time.Time) string {
	if h.json {
		return t.Round(0).Format(time.RFC3339Nano)
	}
	ms := t.UnixMilli()
	if c := h.stamp.Load(); c != nil && c.ms == ms {
		return c.text
	}
	text := t.Round(0).Format("2006-01-02T15:04:05.000Z07:00")
	h.stamp.Store(&timeText{ms: ms, text: text})
	return text
}

// key starts an attribute: ` key=` in logfmt, `,"key":` in JSON.
func (h *AccessLogHandler) key(b []byte, k string) []byte {
	if h.json {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, h.group+k)
		return append(b, ':')
	}
	if len(b) > 0 {
		b = append(b, ' ')
	}
	b = append(b, h.group...)
	b = append(b, k...)
	return append(b, '=')
}

func (h *AccessLogHandler) str(b []byte, k, v string) []byte {
	return h.appendString(h.key(b, k), v)
}

func (h *AccessLogHandler) appendDuration(b []byte, d time.Duration) []byte {
	if h.json { // slog's JSONHandler writes nanoseconds
		return strconv.AppendInt(b, int64(d), 10)
	}
	return append(b, d.String()...)
}

func (h *AccessLogHandler) appendAttr(b []byte, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if a.Key == "" && (v.Kind() != slog.KindGroup || len(v.Group()) == 0) {
		return b
	}
	if v.Kind() == slog.KindGroup {
		h2 := *h
		if a.Key != "" {
			h2.group = h.group + a.Key + "."
		}
		for _, ga := range v.Group() {
			b = h2.appendAttr(b, ga)
		}
		return b
	}
	b = h.key(b, a.Key)
	switch v.Kind() {
	case slog.KindString:
		return h.appendString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return h.appendDuration(b, v.Duration())
	case slog.KindTime:
		if h.json {
			return h.appendString(b, v.Time().Round(0).Format(time.RFC3339Nano))
		}
		return h.appendString(b, v.Time().Round(0).Format("2006-01-02T15:04:05.000Z07:00"))
	}
	if h.json { // floats and any other value: as slog's JSONHandler, via encoding/json
		if j, err := json.Marshal(v.Any()); err == nil {
			return append(b, j...)
		}
	}
	return h.appendString(b, v.String())
}

// appendString writes s as a JSON string, or in logfmt bare when it is safe and
// quoted (Go syntax) when not, exactly as slog's TextHandler decides.
func (h *AccessLogHandler) appendString(b []byte, s string) []byte {
	if h.json {
		return appendJSONString(b, s)
	}
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ' ' || c == '=' || c == '"' || c < 0x21 || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// appendJSONString escapes s as slog's JSONHandler does: quotes, backslashes and
// control characters escaped, U+2028/2029 escaped, invalid UTF-8 replaced by
// U+FFFD, and (unlike encoding/json) no HTML escaping.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
