package demo

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// drifting is the ResponseWriter of the drift fault: a JSON answer is held,
// and written without the "status" member of each object in it (the answer
// itself, or the objects of an answer that is a list). Other answers pass
// as they are.
type drifting struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
	json   bool
}

func (d *drifting) WriteHeader(code int) {
	if d.status != 0 {
		return
	}
	d.status = code
	d.json = strings.HasPrefix(d.Header().Get("Content-Type"), "application/json")
	if !d.json {
		d.ResponseWriter.WriteHeader(code)
	}
}

func (d *drifting) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.WriteHeader(http.StatusOK)
	}
	if !d.json {
		return d.ResponseWriter.Write(p)
	}
	d.buf.Write(p)
	if len(p) == 0 {
		return 0, nil
	}
	return len(p), nil
}

// Flush sends the held answer, changed; the demo's handlers do not stream
// JSON, so it comes once, when the handler returns (see faults.ServeHTTP).
func (d *drifting) flush() {
	if !d.json {
		return
	}
	body := d.buf.Bytes()
	var v any
	if json.Unmarshal(body, &v) == nil {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "status")
		case []any:
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					delete(m, "status")
				}
			}
		}
		if b, err := json.Marshal(v); err == nil {
			body = b
		}
	}
	d.Header().Set("Content-Length", strconv.Itoa(len(body)))
	d.ResponseWriter.WriteHeader(d.status)
	_, _ = d.ResponseWriter.Write(body)
}
