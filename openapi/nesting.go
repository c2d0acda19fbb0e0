package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// MaxNesting is how deeply objects and arrays may nest in a document. Real
// documents stay under 20 levels (the deepest fixture, Twilio's, has 17), but
// kin-openapi's loading and encoding cost grows with the square of the depth:
// a document nested 4,000 levels deep takes seconds of CPU to encode, on every
// anonymous request for it. Refusing deep documents at load keeps every later
// step cheap.
const MaxNesting = 128

// checkNesting refuses data nested deeper than limit, reading it with the
// standard JSON tokenizer or the YAML parser kin-openapi uses; neither builds
// a value, and the YAML walk keeps its own stack.
func checkNesting(data []byte, limit int) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	var depth int
	var err error
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		depth, err = jsonDepth(trimmed, limit)
	} else {
		depth, err = yamlDepth(data, limit)
	}
	if err != nil {
		return nil //nolint:nilerr // not readable: the loader reports why, with its line
	}
	if depth > limit {
		return &Error{Problem{Severity: "error",
			Message: fmt.Sprintf("the document nests objects and arrays more than %d levels deep", limit)}}
	}
	return nil
}

// jsonDepth is the deepest nesting in a JSON text, stopping once past limit.
func jsonDepth(data []byte, limit int) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return deepest, nil
		}
		if err != nil {
			return deepest, err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > deepest {
				deepest = depth
			}
			if deepest > limit {
				return deepest, nil
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// yamlDepth is the deepest nesting of mappings and sequences in a YAML
// document. Aliases are not followed: each node is counted where it is written.
func yamlDepth(data []byte, limit int) (int, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return 0, err
	}
	type item struct {
		n     *yaml.Node
		depth int
	}
	stack := []item{{&root, 0}}
	deepest := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		d := it.depth
		if it.n.Kind == yaml.MappingNode || it.n.Kind == yaml.SequenceNode {
			d++
		}
		if d > deepest {
			deepest = d
			if deepest > limit {
				return deepest, nil
			}
		}
		if it.n.Kind == yaml.AliasNode {
			continue
		}
		for _, c := range it.n.Content {
			stack = append(stack, item{c, d})
		}
	}
	return deepest, nil
}
