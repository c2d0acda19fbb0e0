package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the file at path and parses it with Parse, then reads the
// consumers_file it names, if any (consumers_file.go).
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	f, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if err := f.loadConsumersFile(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return f, nil
}

// Parse decodes data strictly and validates the result. name is used in problem
// positions ("bulwark.yaml:12:5: ..."). Every problem is returned at once, as
// Problems: decoding problems and validation problems together, so one run of
// `bulwark check` shows a typo, a wrong type and a duplicate route alike. Values
// that failed to decode are left out of validation, which would otherwise report
// them a second time (as missing, say).
//
// An empty file (or one holding only comments) is a valid File with every default.
// On error the File is nil, so a reload cannot apply a half-read file by mistake.
func Parse(name string, data []byte) (*File, error) {
	f := &File{name: name, pos: map[string]position{}}
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		f.pos[""] = position{1, 1}
		return f, nil
	}
	d := &decoder{file: name, pos: f.pos}
	if root.Kind != yaml.MappingNode && !(root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		d.errorf(root, "", "the document must be a mapping of keys such as listen:, routes: and services:, found %s", describe(root))
		return nil, asError(d.probs)
	}
	d.decode("", root, reflect.ValueOf(f).Elem())
	probs := d.probs
	var vp Problems
	if err := f.validate(d.failed, d.suggested); err != nil {
		vp = err.(Problems) //nolint:errorlint // validate returns Problems or nil
	}
	probs = append(probs, vp...)
	if err := asError(probs); err != nil {
		return nil, err
	}
	return f, nil
}

// parseYAML returns the content of the file's only document, or nil for an empty
// file. A second document is an error: one file is one configuration, and silently
// ignoring the rest would hide half of what the operator wrote.
func parseYAML(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxProblem(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxProblem(name, err)
	default:
		return nil, Problems{{File: name, Line: next.Line, Column: next.Column,
			Msg: "a second YAML document starts here; a config file holds exactly one"}}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlErrLine matches the position yaml.v3 puts in its syntax errors
// ("yaml: line 3: did not find expected key"); it reports no column.
var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem turns a YAML syntax error into a located Problem.
func syntaxProblem(name string, err error) Problems {
	msg := err.Error()
	p := Problem{File: name}
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	p.Msg = "invalid YAML: " + msg
	return Problems{p}
}
