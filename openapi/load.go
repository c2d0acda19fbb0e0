// Package openapi loads a service's API description (Swagger 2.0, OpenAPI 3.0
// or 3.1, JSON or YAML) and makes it describe the API as reached through the
// gateway: Swagger 2.0 is converted to OpenAPI 3, the servers are rewritten to
// the gateway's public URL and route, and every operation gets a stable slug
// for deep links. It is the only bulwark package that imports kin-openapi.
//
// Real documents are messy and their owners are not ours to fix: kin-openapi's
// strict validation rejects about half of the real documents in the project's
// fixtures (examples that do not match their schemas, 3.1 keywords it does not
// know). A document that can be read is therefore kept, with what validation
// found listed as warnings; only a document that cannot be read at all is an
// error, saying where and why.
//
// External $refs are resolved only through the caller's ReadRef, and only for
// relative references (same instance); anything with a scheme or a host is
// refused here, since kin-openapi's own switch does not apply once a custom
// reader is set.
package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// Kind is the specification a document is written to.
type Kind string

// Kinds.
const (
	Swagger2   Kind = "swagger-2.0"
	OpenAPI3   Kind = "openapi-3.0"
	OpenAPI3_1 Kind = "openapi-3.1"
)

// Options say where the document came from and how the gateway serves it.
type Options struct {
	// Location is the document's path on its instance ("/openapi.json");
	// relative $refs resolve against it.
	Location string
	// ReadRef fetches a relative external $ref, already resolved against
	// Location, from the same instance. Nil refuses every external $ref. It
	// is called at most once per file, for at most 200 files of at most
	// 16 MiB in all (bundle.go); it should stop reading at its own size cap.
	ReadRef func(ctx context.Context, path string) ([]byte, error)
	// RefRoot is the folder on the instance that external $refs must stay
	// in ("/" allows the whole instance). "" is the document's own folder:
	// a $ref that climbs out of it with ".." is refused, and listed as a
	// problem.
	RefRoot string
	// PublicURL is the gateway's public base ("https://api.example.com"); the
	// normalized document's servers start with it ("" keeps them relative).
	PublicURL string
	// RoutePrefix is the route's path; with StripPrefix the gateway removes it
	// before proxying, so clients must add it back in front of every path.
	RoutePrefix string
	StripPrefix bool
}

// Document is a loaded, normalized description.
type Document struct {
	Kind       Kind        `json:"kind"`
	Spec       string      `json:"spec"` // the version field as written, "2.0", "3.1.0"
	Title      string      `json:"title"`
	Version    string      `json:"version"`
	Operations []Operation `json:"operations"`
	// Problems are what validation found; the document is usable anyway.
	Problems []Problem `json:"problems,omitempty"`
	// OriginalServers are the servers the service declared, before rewriting.
	OriginalServers []string `json:"original_servers,omitempty"`
	// T is the normalized OpenAPI 3 document.
	T *openapi3.T `json:"-"`

	// security answers Security; built once in Load, read per request.
	security *securityIndex
	// contract is the request and response validator, compiled on first
	// use by Contract (contract.go): most documents never need one.
	contract contractOnce
}

// Problem is something wrong with a document, located as precisely as the
// source allows (a line for syntax errors, else a JSON pointer or a path).
type Problem struct {
	Severity string `json:"severity"` // "error" or "warning"
	Line     int    `json:"line,omitempty"`
	Where    string `json:"where,omitempty"`
	Message  string `json:"message"`
}

// Error is a document that cannot be read at all.
type Error struct{ Problem }

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return e.Message
}

// Load reads, converts, normalizes and indexes a document.
func Load(ctx context.Context, data []byte, opts Options) (*Document, error) {
	kind, spec, err := Detect(data)
	if err != nil {
		return nil, err
	}
	if err := checkNesting(data, MaxNesting); err != nil {
		return nil, err
	}
	// Bundle external refs and rewrite draft-4 forms first: kin-openapi
	// rejects both, and either would cost the whole document.
	prep := prepare(ctx, data, kind, opts)
	var t *openapi3.T
	switch kind {
	case Swagger2:
		t, err = loadSwagger2(ctx, prep.data, opts, prep.read)
	default:
		t, err = loadOpenAPI3(ctx, prep.data, opts, prep.read)
	}
	if err != nil {
		return nil, readError(err)
	}
	doc := &Document{Kind: kind, Spec: spec, T: t}
	if t.Info != nil {
		doc.Title, doc.Version = t.Info.Title, t.Info.Version
	}
	doc.Problems = append(append(prep.problems, dropEmptyPathItems(t)...), validate(ctx, t)...)
	doc.OriginalServers = rewriteServers(t, opts)
	doc.Operations = index(t)
	ix, problems := buildSecurity(t)
	doc.security = ix
	for _, p := range problems {
		if !mentioned(doc.Problems, p) && len(doc.Problems) < maxProblems {
			doc.Problems = append(doc.Problems, p)
		}
	}
	return doc, nil
}

// dropEmptyPathItems removes paths whose item is null ("/a:" with nothing
// after it, or a key kin-openapi matched case-insensitively): every walker
// after loading expects a path item, and a fuzzed document once crashed the
// index with one.
func dropEmptyPathItems(t *openapi3.T) []Problem {
	if t.Paths == nil {
		return nil
	}
	var out []Problem
	for p, item := range t.Paths.Map() {
		if item == nil {
			t.Paths.Delete(p)
			out = append(out, Problem{Severity: "warning", Where: "/paths/" + pointerToken(p), Message: "an empty path item: no operations"})
		}
	}
	return out
}

func loadSwagger2(ctx context.Context, data []byte, opts Options, read refReader) (*openapi3.T, error) {
	var d2 openapi2.T
	if err := openapi2.UnmarshalFromData(data, &d2); err != nil {
		return nil, err
	}
	// A multi-file Swagger 2.0 document needs the loader (and so the same
	// guard on external refs) for its conversion.
	loader := newLoader(ctx, read)
	t, err := openapi2conv.ToV3WithLoader(&d2, loader, &url.URL{Path: location(opts)})
	if err != nil {
		return nil, err
	}
	// kin-openapi turns a basePath without host into a relative server only
	// sometimes; the base path is what makes the paths right, so keep it.
	if d2.Host == "" && d2.BasePath != "" && d2.BasePath != "/" {
		t.Servers = openapi3.Servers{{URL: d2.BasePath}}
	}
	anyOfFromMarkers(t) // draft4.go: the alternatives Swagger 2.0 cannot say
	return t, nil
}

func loadOpenAPI3(ctx context.Context, data []byte, opts Options, read refReader) (*openapi3.T, error) {
	return newLoader(ctx, read).LoadFromDataWithPath(data, &url.URL{Path: location(opts)})
}

// refReader reads one file of a multi-file document by its absolute path on
// the instance.
type refReader = func(ctx context.Context, path string) ([]byte, error)

// newLoader is a kin-openapi loader whose external $refs go only through
// read (the files the bundler read and checked), and only when relative:
// kin's IsExternalRefsAllowed does not apply once a custom reader is set, so
// the guard is here too.
func newLoader(ctx context.Context, read refReader) *openapi3.Loader {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = read != nil
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" || u.Host != "" || u.User != nil {
			return nil, fmt.Errorf("$ref %q points outside the service's instance: refused", u.String())
		}
		if read == nil {
			return nil, fmt.Errorf("$ref %q: external references are not followed for this document", u.Path)
		}
		return read(ctx, path.Clean("/"+u.Path))
	}
	return loader
}

func location(opts Options) string {
	if opts.Location == "" {
		return "/openapi.json"
	}
	return opts.Location
}

// At most maxProblems findings are listed, each at most maxProblemBytes long:
// a hostile document can make validation report thousands of long errors.
const (
	maxProblems     = 200
	maxProblemBytes = 1 << 10
)

// validate runs kin-openapi's validation and turns every finding into a
// warning. kin-openapi's schema validation keeps a set of the schemas it has
// visited, so a schema graph with cycles is validated once per schema and
// terminates (the hostile-document tests load every kind of cycle).
func validate(ctx context.Context, t *openapi3.T) []Problem {
	err := t.Validate(ctx, openapi3.EnableMultiError())
	if err == nil {
		return nil
	}
	var multi openapi3.MultiError
	var out []Problem
	errs := []error{err}
	if errors.As(err, &multi) {
		errs = multi
	}
	for i, e := range errs {
		if i == maxProblems {
			out = append(out, Problem{Severity: "warning", Message: fmt.Sprintf("%d more problems are not listed", len(errs)-i)})
			break
		}
		msg := e.Error()
		if len(msg) > 16*maxProblemBytes {
			msg = truncate(msg, 16*maxProblemBytes) // locate needs the start only
		}
		where, rest := locate(msg)
		if len(rest) > maxProblemBytes {
			rest = truncate(rest, maxProblemBytes) + "…"
		}
		out = append(out, Problem{Severity: "warning", Where: where, Message: rest})
	}
	return out
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// readError locates a read failure: YAML errors carry their line.
func readError(err error) error {
	p := Problem{Severity: "error", Message: truncate(err.Error(), 4*maxProblemBytes)}
	if m := yamlLine.FindStringSubmatch(p.Message); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
	}
	return &Error{p}
}

// rewriteServers points the servers at the gateway, keeping each declared
// server's path (a Swagger basePath, an API version prefix): the gateway's
// public URL, then the route prefix when the gateway strips it, then that
// path. It returns the servers as declared.
func rewriteServers(t *openapi3.T, opts Options) []string {
	var orig []string
	basePath := ""
	for i, s := range t.Servers {
		orig = append(orig, s.URL)
		if i == 0 {
			if u, err := url.Parse(s.URL); err == nil {
				basePath = strings.TrimSuffix(u.Path, "/")
			}
		}
	}
	prefix := ""
	if opts.StripPrefix {
		prefix = strings.TrimSuffix(opts.RoutePrefix, "/")
	}
	server := strings.TrimSuffix(opts.PublicURL, "/") + prefix + basePath
	if server == "" {
		server = "/"
	}
	t.Servers = openapi3.Servers{{URL: server, Description: "through the gateway"}}
	return orig
}

// Detect reads the version field: "swagger: 2.0" or "openapi: 3.x". A HAL
// document, or anything else, is not an API description (kin-openapi would
// load it as an empty document).
func Detect(data []byte) (Kind, string, error) {
	for _, key := range []string{"openapi", "swagger"} {
		if v := topLevelValue(data, key); v != "" {
			switch {
			case key == "swagger" && strings.HasPrefix(v, "2."):
				return Swagger2, v, nil
			case key == "openapi" && strings.HasPrefix(v, "3.0"):
				return OpenAPI3, v, nil
			case key == "openapi" && strings.HasPrefix(v, "3.1"):
				return OpenAPI3_1, v, nil
			}
			return "", v, &Error{Problem{Severity: "error", Message: fmt.Sprintf("unsupported %s version %q", key, v)}}
		}
	}
	return "", "", &Error{Problem{Severity: "error",
		Message: "not an OpenAPI or Swagger document: no top-level openapi or swagger field"}}
}

// yamlTop matches a top-level YAML key (no indentation) and its scalar value.
var yamlTop = regexp.MustCompile(`(?m)^["']?(openapi|swagger)["']?\s*:\s*["']?([^"'\s#]+)`)

// topLevelValue finds a top-level key's value without building the whole
// document (kin-openapi reads it once, after): JSON by streaming its top-level
// keys, YAML by its unindented lines.
func topLevelValue(data []byte, key string) string {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if _, err := dec.Token(); err != nil {
			return ""
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return ""
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return ""
			}
			if k == key {
				var s string
				if json.Unmarshal(v, &s) == nil {
					return s
				}
				return strings.Trim(string(v), " ")
			}
		}
		return ""
	}
	for _, m := range yamlTop.FindAllSubmatch(data, -1) {
		if string(m[1]) == key {
			return string(m[2])
		}
	}
	return ""
}
