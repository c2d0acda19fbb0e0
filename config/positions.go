package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// position is a 1-based line and column in the YAML source.
type position struct{ line, col int }

func nodePos(n *yaml.Node) position { return position{n.Line, n.Column} }

// Paths name values the way an operator reads the file: "listen.http",
// "routes[1].path", "services.pets.timeout", "discovery.static[0].instances[2]".
// A map key that would make the path ambiguous (it holds '.', '[', quotes or
// spaces, like a weight keyed by "[::1]:80") is quoted: weights["[::1]:80"].

// keyPath is the path of key inside the mapping at parent.
func keyPath(parent, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\"' \t\n") {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath is the path of the i-th element of the list at parent.
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// parentPath drops the last element of path. For a quoted key it may stop at a
// prefix that names nothing, which only costs lookup another step: every real
// ancestor ends just before a '.' or '[', so the walk in at always reaches it.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// at returns the position recorded for path or, when the value is absent (a
// missing key), for the nearest enclosing value, so that "service is required"
// points at the route that lacks it. A File built in code has no positions.
func (f *File) at(path string) position {
	for {
		if p, ok := f.pos[path]; ok {
			return p
		}
		if path == "" {
			return position{}
		}
		path = parentPath(path)
	}
}

// where renders a path for the start of a message; the root reads "the document".
func where(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}
