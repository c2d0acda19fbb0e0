package openapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Multi-file documents (issue 18). Redocly's "split" layout and many
// hand-written repositories put each path item in its own file
// (paths: {/pets: {$ref: paths/pets.yaml}}), sometimes each operation, and
// write info.description as a $ref to a Markdown file. Redocly and Swagger UI
// bundle these; kin-openapi cannot read a $ref where a string belongs, does
// not follow a $ref in place of an operation, and fails the whole load on one
// external $ref it cannot read. So before kin-openapi sees a document, the
// bundler:
//
//   - reads every external file the document reaches, through Options.ReadRef
//     only, and only for relative references that stay inside the document's
//     folder (RefRoot): no scheme, no host, no climbing out with "..";
//   - bounds what it reads: maxRefFiles files, maxRefBytes in all, chains of
//     at most maxRefDepth files, and maxRefs references followed;
//   - inlines path items, operations and descriptions into the root document,
//     rewriting the references inside what it inlines so they still point
//     where they did;
//   - replaces every reference it refuses or cannot resolve with a
//     placeholder saying why, and lists a Problem: a bad reference costs that
//     one part, never the document;
//   - hands kin-openapi the files it read, and nothing else, for the
//     component references it resolves itself.
//
// References inside x- extensions are left alone: they are not part of the
// API description, and Redocly's x-codeSamples point at source files.

// Bounds on what a document may pull in through external $refs.
const (
	maxRefFiles = 200
	maxRefBytes = 16 << 20
	maxRefDepth = 16
	maxRefs     = 20000
	// maxRefProblems are listed one by one; the rest are counted.
	maxRefProblems = 50
)

// bundler holds one Load's files and findings.
type bundler struct {
	ctx      context.Context
	read     func(context.Context, string) ([]byte, error)
	root     string // the root document's absolute path on its instance
	dir      string // the folder every file must be in, ending in "/"
	draft4   bool   // rewrite draft-4 schema forms (see draft4.go)
	swagger2 bool
	files    map[string]*refFile
	bytes    int64
	refs     int
	problems []Problem
	dropped  int
}

// refFile is one file read for the document.
type refFile struct {
	node    *yaml.Node // the parsed document, nil when not YAML or JSON
	raw     []byte
	err     error // why it is not usable
	changed bool  // node was rewritten: marshal it again for kin-openapi
	walked  bool
}

// errRefused marks a reference the bundler will not follow.
var errRefused = errors.New("refused")

func (b *bundler) problem(where, format string, args ...any) {
	if len(b.problems) >= maxRefProblems {
		b.dropped++
		return
	}
	b.problems = append(b.problems, Problem{Severity: "warning", Where: where, Message: fmt.Sprintf(format, args...)})
}

// finish lists the problems, counting those past maxRefProblems.
func (b *bundler) finish() []Problem {
	if b.dropped > 0 {
		b.problems = append(b.problems, Problem{Severity: "warning",
			Message: fmt.Sprintf("%d more problems with external references are not listed", b.dropped)})
	}
	return b.problems
}

// target resolves ref, written in the file at base, to an absolute path and
// a fragment, refusing anything that leaves the document's folder.
func (b *bundler) target(base, ref string) (string, string, error) {
	if strings.ContainsAny(ref, "\\\x00") {
		return "", "", fmt.Errorf("$ref %q: %w: not a relative path", ref, errRefused)
	}
	u, err := url.Parse(ref)
	if err != nil {
		return "", "", fmt.Errorf("$ref %q: %w: %v", ref, errRefused, err)
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", "", fmt.Errorf("$ref %q points outside the service's instance: %w", ref, errRefused)
	}
	if u.RawQuery != "" {
		return "", "", fmt.Errorf("$ref %q: %w: a query is not a file", ref, errRefused)
	}
	if u.Path == "" {
		return base, u.Fragment, nil
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		p = path.Dir(base) + "/" + p
	}
	p = path.Clean(p)
	if !strings.HasPrefix(p, b.dir) {
		return "", "", fmt.Errorf("$ref %q leaves the document's folder %s: %w", ref, b.dir, errRefused)
	}
	return p, u.Fragment, nil
}

// file reads and parses the file at p once, within the bounds.
func (b *bundler) file(p string) *refFile {
	if f, ok := b.files[p]; ok {
		return f
	}
	f := &refFile{}
	switch {
	case len(b.files) >= maxRefFiles:
		f.err = fmt.Errorf("more than %d files: %w", maxRefFiles, errRefused)
		return f // not remembered: the count stays at the bound
	case b.read == nil:
		f.err = fmt.Errorf("external references are not followed for this document: %w", errRefused)
	default:
		raw, err := b.read(b.ctx, p)
		switch {
		case err != nil:
			f.err = fmt.Errorf("reading %s: %w", p, err)
		case b.bytes+int64(len(raw)) > maxRefBytes:
			f.err = fmt.Errorf("%s: the referenced files add up to more than %d bytes: %w", p, maxRefBytes, errRefused)
		default:
			b.bytes += int64(len(raw))
			f.raw = raw
			if checkNesting(raw, MaxNesting) != nil {
				f.err = fmt.Errorf("%s nests more than %d levels deep: %w", p, MaxNesting, errRefused)
				break
			}
			var n yaml.Node
			if yaml.Unmarshal(raw, &n) == nil && n.Kind == yaml.DocumentNode {
				f.node = &n
				// Before anything is inlined from it.
				f.changed = b.draft4 && rewriteDraft4(f.node, b.swagger2, p+"#", b.problem)
			}
		}
	}
	b.files[p] = f
	return f
}

// resolve finds what ref (written in base) points at: the node, and the file
// it is in.
func (b *bundler) resolve(base, ref string) (*yaml.Node, string, error) {
	b.refs++
	if b.refs > maxRefs {
		return nil, "", fmt.Errorf("$ref %q: more than %d references: %w", ref, maxRefs, errRefused)
	}
	p, frag, err := b.target(base, ref)
	if err != nil {
		return nil, "", err
	}
	f := b.file(p)
	if f.err != nil {
		return nil, "", fmt.Errorf("$ref %q: %w", ref, f.err)
	}
	if f.node == nil {
		return nil, "", fmt.Errorf("$ref %q: %s is not YAML or JSON", ref, p)
	}
	n := pointerGet(f.node, frag)
	if n == nil {
		return nil, "", fmt.Errorf("$ref %q: %s has nothing at #%s", ref, p, frag)
	}
	return n, p, nil
}

// placeholder stands where a reference could not be followed; it is a valid
// schema, response, parameter body or path item, and says why.
func placeholder(why string) *yaml.Node {
	return mapping(scalar("description"), scalar("not loaded: "+why))
}

// relTo writes the absolute target p (with fragment) as a reference from the
// root document.
func (b *bundler) relTo(p, frag string) string {
	s := ""
	if p != b.root {
		rootDir := path.Dir(b.root)
		rel := strings.TrimPrefix(p, rootDir+"/")
		if rootDir == "/" {
			rel = strings.TrimPrefix(p, "/")
		}
		if rel == p { // outside the root's own folder (a wider RefRoot)
			up := strings.Count(strings.Trim(rootDir, "/"), "/") + 1
			rel = strings.Repeat("../", up) + strings.TrimPrefix(p, "/")
		}
		s = (&url.URL{Path: rel}).String()
		if strings.Contains(rel, ":") && !strings.Contains(s, "/") {
			s = "./" + s // "a:b.yaml" would read as a scheme
		}
	}
	if frag != "" || s == "" {
		s += "#" + frag
	}
	return s
}

// rebase rewrites every $ref under n, written in file base, into one written
// from the root document. References it cannot parse are left for the
// reference check to report.
func (b *bundler) rebase(n *yaml.Node, base string) {
	if n == nil || base == b.root {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if strings.HasPrefix(k, "x-") {
				continue
			}
			if k == "$ref" && v.Kind == yaml.ScalarNode {
				if p, frag, err := b.target(base, v.Value); err == nil {
					n.Content[i+1] = scalar(b.relTo(p, frag))
				}
				continue
			}
			b.rebase(v, base)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			b.rebase(c, base)
		}
	}
}

// checkRefs walks file p's references not in x- extensions, reads the files
// they reach (each once, at most maxRefDepth files deep), and replaces each
// one it refuses or cannot resolve with a placeholder.
func (b *bundler) checkRefs(p string, depth int) {
	f := b.files[p]
	if f == nil || f.node == nil || f.walked {
		return
	}
	f.walked = true
	var next []string
	var walk func(n *yaml.Node, where string)
	walk = func(n *yaml.Node, where string) {
		switch n.Kind {
		case yaml.MappingNode:
			if ref, ok := refOf(n); ok {
				tp, frag, err := b.target(p, ref)
				if err == nil && tp == p {
					return // internal: kin-openapi resolves it, and says so when it cannot
				}
				if err == nil && depth+1 > maxRefDepth {
					err = fmt.Errorf("$ref %q: a chain of more than %d files: %w", ref, maxRefDepth, errRefused)
				}
				if err == nil {
					_, _, err = b.resolve(p, (&url.URL{Path: tp, Fragment: frag}).String())
				}
				if err != nil {
					b.problem(b.where(p, where), "%v", err)
					*n = *placeholder(err.Error())
					f.changed = true
					return
				}
				next = append(next, tp)
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i].Value; !strings.HasPrefix(k, "x-") {
					walk(n.Content[i+1], where+"/"+pointerToken(k))
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	walk(body(f.node), "")
	for _, q := range next {
		b.checkRefs(q, depth+1)
	}
}

// where names a place: a JSON pointer in the root document, or the file and
// pointer elsewhere.
func (b *bundler) where(p, ptr string) string {
	if p == b.root {
		return ptr
	}
	return p + "#" + ptr
}

// readFor is the reader kin-openapi gets: the files the bundler read, as
// rewritten, and nothing else.
func (b *bundler) readFor(rootBytes []byte) func(context.Context, string) ([]byte, error) {
	out := map[string][]byte{b.root: rootBytes}
	for p, f := range b.files {
		if p == b.root || f.err != nil {
			continue
		}
		raw := f.raw
		if f.changed && f.node != nil {
			if m, err := yaml.Marshal(f.node); err == nil {
				raw = m
			}
		}
		out[p] = raw
	}
	return func(_ context.Context, p string) ([]byte, error) {
		if raw, ok := out[p]; ok {
			return raw, nil
		}
		return nil, fmt.Errorf("$ref to %s: not read by the bundler: %w", p, errRefused)
	}
}
