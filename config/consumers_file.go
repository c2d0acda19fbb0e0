package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// loadConsumersFile reads consumers_file (relative to dir, the main file's
// folder) and adds its consumers to f's. The file is a configuration
// document with consumers: and nothing else, decoded and checked as strictly
// as the main file, its problems at its own lines; a consumer named in both
// files, or one API key held in both, is refused with both places named.
func (f *File) loadConsumersFile(dir string) error {
	if f.ConsumersFile == "" {
		return nil
	}
	path := f.ConsumersFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	f.consumersPath = path
	at := f.at("consumers_file")
	data, err := os.ReadFile(path)
	if err != nil {
		return Problems{{File: f.name, Line: at.line, Column: at.col, Msg: fmt.Sprintf("consumers_file: %v", err)}}
	}
	more, err := Parse(path, data)
	if err != nil {
		return err
	}
	var probs Problems
	report := func(p, format string, args ...any) {
		pos := more.at(p)
		probs = append(probs, Problem{File: more.name, Line: pos.line, Column: pos.col, Msg: where(p) + ": " + fmt.Sprintf(format, args...)})
	}
	for p := range more.pos {
		if top, _, _ := strings.Cut(p, "."); p != "" && top != "consumers" && !strings.HasPrefix(top, "consumers[") {
			if !strings.ContainsAny(p, ".[") {
				report(p, "a consumers file holds consumers: and nothing else")
			}
		}
	}
	owner := map[string]string{} // API key hash → where the main file holds it
	for name, c := range f.Consumers {
		for i, h := range c.APIKeys {
			p := indexPath(keyPath("consumers", name)+".api_keys", i)
			owner[strings.ToLower(h)] = fmt.Sprintf("%s (%s%s)", p, f.name, f.atLine(p))
		}
	}
	if f.Consumers == nil && len(more.Consumers) > 0 {
		f.Consumers = map[string]Consumer{}
	}
	for _, name := range slices.Sorted(maps.Keys(more.Consumers)) {
		p := keyPath("consumers", name)
		if _, dup := f.Consumers[name]; dup {
			report(p, "%s is also a consumer of %s%s", name, f.name, f.atLine(p))
			continue
		}
		c := more.Consumers[name]
		for i, h := range c.APIKeys {
			if first, dup := owner[strings.ToLower(h)]; dup {
				report(indexPath(p+".api_keys", i), "the same key is already %s", first)
			}
		}
		f.Consumers[name] = c
	}
	if len(probs) > 0 {
		return probs
	}
	return nil
}

// ConsumersFilePath is consumers_file as Load read it: absolute when the
// main file's path was. A reload watches it.
func (f *File) ConsumersFilePath() string { return f.consumersPath }

// atLine says " at line N" for the value at path, or "" when unknown.
func (f *File) atLine(path string) string {
	if p := f.at(path); p.line > 0 {
		return fmt.Sprintf(" at line %d", p.line)
	}
	return ""
}
