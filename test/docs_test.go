package test

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/config"
)

// notAConfig marks a YAML block in the docs that is not a whole config file
// (a fragment, a Consul payload): its first line is exactly this comment.
const notAConfig = "# not-a-config"

// yamlBlock is one fenced ```yaml block of a Markdown file.
type yamlBlock struct {
	Line int    // the line of the block's first content line, 1-based
	Text string // the block's content
}

// yamlBlocks returns the fenced yaml (or yml) blocks of a Markdown document.
func yamlBlocks(markdown string) ([]yamlBlock, error) {
	var (
		blocks []yamlBlock
		cur    *yamlBlock
		fence  string
		b      strings.Builder
	)
	sc := bufio.NewScanner(strings.NewReader(markdown))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur == nil {
			if f, info, ok := openFence(trimmed); ok {
				if lang := strings.ToLower(strings.Fields(info + " x")[0]); lang == "yaml" || lang == "yml" {
					cur, fence = &yamlBlock{Line: n + 1}, f
					b.Reset()
				} else {
					fence = f // skip other fenced blocks whole, so a yaml fence inside one is not taken
					cur = &yamlBlock{Line: -1}
				}
			}
			continue
		}
		if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
			if cur.Line > 0 {
				cur.Text = b.String()
				blocks = append(blocks, *cur)
			}
			cur = nil
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil && cur.Line > 0 {
		return blocks, fmt.Errorf("the yaml block at line %d is never closed", cur.Line-1)
	}
	return blocks, nil
}

// openFence recognises a fence opening (``` or ~~~, three or more) and returns
// the fence and the info string after it.
func openFence(line string) (fence, info string, ok bool) {
	for _, c := range []string{"`", "~"} {
		if strings.HasPrefix(line, c+c+c) {
			i := len(line) - len(strings.TrimLeft(line, c))
			return line[:i], strings.TrimSpace(line[i:]), true
		}
	}
	return "", "", false
}

// checkMarkdownConfigs parses and validates every config block of a Markdown
// document, reporting problems at their line in the Markdown file itself.
func checkMarkdownConfigs(name, markdown string) (checked int, problems []error) {
	blocks, err := yamlBlocks(markdown)
	if err != nil {
		return 0, []error{fmt.Errorf("%s: %w", name, err)}
	}
	for _, bl := range blocks {
		first, _, _ := strings.Cut(bl.Text, "\n")
		if strings.TrimSpace(first) == notAConfig {
			continue
		}
		checked++
		// Blank lines in front make config's positions the Markdown file's lines.
		src := strings.Repeat("\n", bl.Line-1) + bl.Text
		f, err := config.Parse(name, []byte(src))
		if err == nil {
			err = f.Validate()
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("the yaml block at %s:%d is not a valid config "+
				"(mark a fragment with %q as its first line):\n%w", name, bl.Line-1, notAConfig, err))
		}
	}
	return checked, problems
}

func TestCheckMarkdownConfigsFindsEveryBlock(t *testing.T) {
	const doc = "# Title\n\n" +
		"```yaml\nlisten:\n  http: \"127.0.0.1:8080\"\n```\n\n" + // valid
		"```yaml\n# not-a-config\nservice: [not, a, file]\n```\n\n" + // skipped
		"```sh\n```yaml\n```\n\n" + // a yaml fence inside a shell block is text
		"~~~yml\nlisten:\n  htp: x\n~~~\n" // invalid: typo at line 19
	checked, problems := checkMarkdownConfigs("doc.md", doc)
	if checked != 2 {
		t.Errorf("checked %d blocks, want 2 (one skipped, one inside another fence)", checked)
	}
	if len(problems) != 1 {
		t.Fatalf("got %d problems, want 1: %v", len(problems), problems)
	}
	if !strings.Contains(problems[0].Error(), `doc.md:19:3: listen: unknown key "htp"`) {
		t.Errorf("the problem is not located in the Markdown file:\n%v", problems[0])
	}
	var ps config.Problems
	if !errors.As(problems[0], &ps) {
		t.Errorf("the problem does not wrap config.Problems: %T", problems[0])
	}
}

// TestEveryConfigExampleInTheDocsIsValid runs the docs: each ```yaml block in the
// README and docs/*.md is a config file users will copy, so it must load.
func TestEveryConfigExampleInTheDocsIsValid(t *testing.T) {
	files := []string{filepath.Join(moduleRoot, "README.md")}
	docs, err := filepath.Glob(filepath.Join(moduleRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, docs...)
	total := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			t.Logf("%s does not exist yet", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(moduleRoot, path)
		checked, problems := checkMarkdownConfigs(rel, string(data))
		total += checked
		for _, p := range problems {
			t.Error(p)
		}
	}
	t.Logf("checked %d config examples in %d files", total, len(files))
}
