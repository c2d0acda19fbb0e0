package demo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxBodyBytes bounds every request body: the samples take small JSON documents and forms.
const maxBodyBytes = 1 << 20

// problem is an RFC 9457 problem details object. Type is always "about:blank", so Title
// is the status phrase and Detail says what went wrong.
type problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []fieldError `json:"errors,omitempty"` // extension member: one entry per invalid field
}

// fieldError names one invalid member of a request body, as in RFC 9457's example.
type fieldError struct {
	Pointer string `json:"pointer"` // RFC 6901 JSON Pointer into the request body, e.g. "/name"
	Detail  string `json:"detail"`
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string, errs ...fieldError) {
	writeJSON(w, status, "application/problem+json", problem{
		Type:     "about:blank",
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   detail,
		Instance: r.URL.Path,
		Errors:   errs,
	})
}

// validation collects the invalid fields of one request body.
type validation []fieldError

func (v *validation) add(pointer, format string, args ...any) {
	*v = append(*v, fieldError{Pointer: pointer, Detail: fmt.Sprintf(format, args...)})
}

// failed writes a 400 problem naming every invalid field and reports whether it did.
func (v validation) failed(w http.ResponseWriter, r *http.Request) bool {
	if len(v) == 0 {
		return false
	}
	details := make([]string, len(v))
	for i, e := range v {
		details[i] = e.Detail
	}
	writeProblem(w, r, http.StatusBadRequest, strings.Join(details, "; "), v...)
	return true
}

// writeJSON writes v as indented JSON: people read these responses in the portal.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		// Only a programming error gets here: every value written is plain data.
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// decodeJSON reads one JSON value of at most maxBodyBytes into dst, strictly (unknown
// members are errors). On failure it writes the problem (400, 413 or 415) and returns false.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeProblem(w, r, http.StatusUnsupportedMediaType,
				fmt.Sprintf("the request body must be application/json, not %q", ct))
			return false
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		// One value only: "{} {}" or "{}x" is as malformed as "{".
		if err = dec.Decode(new(json.RawMessage)); err == io.EOF {
			return true
		} else if err == nil {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeProblem(w, r, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit))
	case errors.Is(err, io.EOF):
		writeProblem(w, r, http.StatusBadRequest, "the request body is empty; a JSON object is required")
	default:
		writeProblem(w, r, http.StatusBadRequest, "the request body is not valid JSON: "+err.Error())
	}
	return false
}

// parseForm reads a form-encoded body of at most maxBodyBytes. On failure it writes the
// problem (400, 413 or 415) and returns false.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		writeProblem(w, r, http.StatusUnsupportedMediaType,
			"the request body must be application/x-www-form-urlencoded")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeProblem(w, r, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit))
			return false
		}
		writeProblem(w, r, http.StatusBadRequest, "the form is malformed: "+err.Error())
		return false
	}
	return true
}

// pathID returns the {id} path value, a positive integer; otherwise it writes a 400
// problem and returns false.
func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("id must be a positive integer, not %q", raw))
		return 0, false
	}
	return id, true
}

// queryInt reads an optional integer query parameter within [lo, hi]; otherwise it writes
// a 400 problem and returns false.
func queryInt(w http.ResponseWriter, r *http.Request, name string, def, lo, hi int) (int, bool) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		writeProblem(w, r, http.StatusBadRequest,
			fmt.Sprintf("query parameter %s must be an integer from %d to %d, not %q", name, lo, hi, raw))
		return 0, false
	}
	return n, true
}
