package openapi

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Helpers over yaml.v3 nodes. The pre-processing steps (bundle.go,
// draft4.go) edit the document as a node tree rather than as Go values so
// that key order, and with it the order in which the portal lists paths as
// written, survives a rewrite.

// body is a parsed document's top value (the document node's content).
func body(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return n.Content[0]
	}
	return n
}

// mapGet is the value under key in mapping m, or nil.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mapSet replaces or appends key in mapping m.
func mapSet(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key), v)
}

// mapDel removes key from mapping m.
func mapDel(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func mapping(kv ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
}

// refOf is the $ref of a reference object (a mapping with a string $ref).
func refOf(n *yaml.Node) (string, bool) {
	v := mapGet(n, "$ref")
	if v == nil || v.Kind != yaml.ScalarNode {
		return "", false
	}
	return v.Value, true
}

// copyNode is a deep copy of n, so that content inlined twice can be edited
// (rebased) independently. Aliases are copied as aliases: they are not
// followed, which keeps a document of nested aliases ("billion laughs") from
// expanding here.
func copyNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = copyNode(k)
		}
	}
	return &c
}

// pointerGet follows a JSON pointer ("/a/b~1c/0"; "" is the whole value)
// from n, or returns nil.
func pointerGet(n *yaml.Node, ptr string) *yaml.Node {
	n = body(n)
	if ptr == "" || ptr == "/" && mapGet(n, "") == nil {
		return n
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		if strings.Contains(tok, "~") {
			tok = pointerUnescaper.Replace(tok)
		}
		switch n.Kind {
		case yaml.MappingNode:
			n = mapGet(n, tok)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
		if n == nil {
			return nil
		}
	}
	return n
}

// pointerToken escapes one JSON pointer segment.
func pointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return pointerEscaper.Replace(s)
}

// The RFC 6901 replacers, built once: a strings.Replacer is safe for
// concurrent use, and building one per segment was most of the memory the
// catalog held while it loaded a thousand services' documents (issue 20).
var (
	pointerEscaper   = strings.NewReplacer("~", "~0", "/", "~1")
	pointerUnescaper = strings.NewReplacer("~1", "/", "~0", "~")
)
