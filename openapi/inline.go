package openapi

import (
	"context"
	"fmt"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// prepared is a document ready for kin-openapi: its bytes (the original ones
// when nothing had to change), the reader for the files it still refers to,
// and what the preparation changed or refused.
type prepared struct {
	data     []byte
	read     func(context.Context, string) ([]byte, error)
	problems []Problem
}

// prepare bundles a document's external references and rewrites the draft-4
// schema forms kin-openapi cannot read (bundle.go, draft4.go). A document
// that does not parse is handed on unchanged: kin-openapi reports where.
func prepare(ctx context.Context, data []byte, kind Kind, opts Options) prepared {
	root := path.Clean("/" + location(opts))
	dir := path.Dir(root)
	if opts.RefRoot != "" {
		dir = path.Clean("/" + opts.RefRoot)
	}
	if !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	b := &bundler{ctx: ctx, read: opts.ReadRef, root: root, dir: dir, files: map[string]*refFile{},
		draft4: kind != OpenAPI3_1, swagger2: kind == Swagger2}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil || n.Kind != yaml.DocumentNode {
		return prepared{data: data, read: b.guarded()}
	}
	b.files[root] = &refFile{node: &n, raw: data}
	changed := false
	if b.draft4 && rewriteDraft4(&n, b.swagger2, "", b.problem) {
		changed = true
	}
	doc := body(&n)
	for _, section := range []string{"paths", "webhooks"} {
		items := mapGet(doc, section)
		if items == nil || items.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(items.Content); i += 2 {
			where := "/" + section + "/" + pointerToken(items.Content[i].Value)
			item, c := b.pathItem(items.Content[i+1], root, where, nil)
			items.Content[i+1] = item
			changed = changed || c
		}
	}
	if b.descriptions(doc, "", "") {
		changed = true
	}
	b.files[root].walked = false
	b.checkRefs(root, 0)
	if b.files[root].changed {
		changed = true
	}
	out := data
	if changed {
		if m, err := yaml.Marshal(&n); err == nil {
			out = m
		}
	}
	return prepared{data: out, read: b.readFor(out), problems: b.finish()}
}

// guarded is opts.ReadRef behind the same folder rule, for a document the
// bundler could not parse.
func (b *bundler) guarded() func(context.Context, string) ([]byte, error) {
	if b.read == nil {
		return nil
	}
	return func(ctx context.Context, p string) ([]byte, error) {
		if !strings.HasPrefix(path.Clean(p), b.dir) {
			return nil, fmt.Errorf("$ref to %s leaves the document's folder %s: %w", p, b.dir, errRefused)
		}
		return b.read(ctx, p)
	}
}

// httpMethods are the keys of a path item that hold operations.
var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true,
	"head": true, "patch": true, "trace": true}

// pathItem inlines item (written in file base): a $ref in its place, then a
// $ref in place of any of its operations; everything else in it is rebased
// to the root. stack holds the references being inlined, to stop cycles. It
// reports whether anything changed.
func (b *bundler) pathItem(item *yaml.Node, base, where string, stack []string) (*yaml.Node, bool) {
	if ref, ok := refOf(item); ok {
		target, file, key, err := b.inlineTarget(base, ref, stack)
		if err != nil {
			b.problem(where, "path item not loaded, its operations are missing: %v", err)
			return placeholder(err.Error()), true
		}
		merged := copyNode(target)
		if merged.Kind != yaml.MappingNode {
			b.problem(where, "$ref %q is not a path item", ref)
			return placeholder("not a path item"), true
		}
		// The target may itself be a $ref (a chain), or hold operation refs.
		out, _ := b.pathItem(merged, file, where, append(stack, key))
		b.siblings(out, item, base)
		return out, true
	}
	if item.Kind != yaml.MappingNode {
		return item, false
	}
	changed := false
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i].Value, item.Content[i+1]
		if !httpMethods[k] {
			if !strings.HasPrefix(k, "x-") {
				b.rebase(v, base)
			}
			continue
		}
		ref, ok := refOf(v)
		if !ok {
			b.rebase(v, base)
			continue
		}
		opWhere := where + "/" + k
		target, file, _, err := b.inlineTarget(base, ref, stack)
		if err != nil {
			b.problem(opWhere, "operation not loaded: %v", err)
			item.Content[i+1] = mapping(scalar("summary"), scalar("not loaded: "+err.Error()),
				scalar("responses"), mapping(scalar("default"), placeholder(err.Error())))
			changed = true
			continue
		}
		op := copyNode(target)
		if op.Kind != yaml.MappingNode {
			b.problem(opWhere, "$ref %q is not an operation", ref)
			continue
		}
		b.rebase(op, file)
		b.siblings(op, v, base)
		item.Content[i+1] = op
		changed = true
	}
	return item, changed
}

// inlineTarget resolves a $ref that is to be inlined, refusing cycles (a
// target already being inlined, in stack) and chains longer than
// maxRefDepth. It returns the target, its file and its key for the stack.
func (b *bundler) inlineTarget(base, ref string, stack []string) (*yaml.Node, string, string, error) {
	if len(stack) >= maxRefDepth {
		return nil, "", "", fmt.Errorf("$ref %q: a chain of more than %d references: %w", ref, maxRefDepth, errRefused)
	}
	p, frag, err := b.target(base, ref)
	if err != nil {
		return nil, "", "", err
	}
	key := p + "#" + frag
	for _, s := range stack {
		if s == key {
			return nil, "", "", fmt.Errorf("$ref %q: a cycle of references: %w", ref, errRefused)
		}
	}
	target, file, err := b.resolve(base, ref)
	return target, file, key, err
}

// siblings copies the keys written beside a $ref (3.1 allows summary and
// description there) over the inlined, root-relative target.
func (b *bundler) siblings(into, ref *yaml.Node, base string) {
	for i := 0; i+1 < len(ref.Content); i += 2 {
		k := ref.Content[i].Value
		if k == "$ref" {
			continue
		}
		v := copyNode(ref.Content[i+1])
		b.rebase(v, base)
		mapSet(into, k, v)
	}
}

// descriptions replaces description: {$ref: file.md} (and summary) with the
// file's text wherever such a key describes the API. Under properties,
// examples, enums, defaults and extensions "description" is data or a
// schema's name, and is left alone. All references are root-relative here.
func (b *bundler) descriptions(n *yaml.Node, parentKey, where string) bool {
	changed := false
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if dataKeys[k] || strings.HasPrefix(k, "x-") {
				continue
			}
			w := where + "/" + pointerToken(k)
			if (k == "description" || k == "summary") && v.Kind == yaml.MappingNode && parentKey != "properties" {
				if ref, ok := refOf(v); ok {
					n.Content[i+1] = scalar(b.text(ref, w))
					changed = true
					continue
				}
			}
			if b.descriptions(v, k, w) {
				changed = true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if b.descriptions(c, "", fmt.Sprintf("%s/%d", where, i)) {
				changed = true
			}
		}
	}
	return changed
}

// dataKeys hold values, not descriptions.
var dataKeys = map[string]bool{"example": true, "examples": true, "default": true, "enum": true, "const": true}

// maxTextBytes bounds a description read from a file.
const maxTextBytes = 1 << 20

// text is what a description $ref points at: a file's text (Markdown,
// usually), or a string inside a YAML file.
func (b *bundler) text(ref, where string) string {
	p, frag, err := b.target(b.root, ref)
	if err == nil {
		b.refs++
		if b.refs > maxRefs {
			err = fmt.Errorf("$ref %q: more than %d references: %w", ref, maxRefs, errRefused)
		}
	}
	if err == nil {
		f := b.file(p)
		switch {
		case f.err != nil:
			err = fmt.Errorf("$ref %q: %w", ref, f.err)
		case frag != "":
			if n := pointerGet(f.node, frag); n != nil && n.Kind == yaml.ScalarNode {
				return n.Value
			}
			err = fmt.Errorf("$ref %q: no text at #%s", ref, frag)
		case len(f.raw) > maxTextBytes:
			err = fmt.Errorf("$ref %q: %s is larger than %d bytes: %w", ref, p, maxTextBytes, errRefused)
		default:
			return strings.TrimPrefix(string(f.raw), "\ufeff")
		}
	}
	b.problem(where, "description not loaded: %v", err)
	return "(not loaded: " + err.Error() + ")"
}
