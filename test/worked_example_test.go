package test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The worked example in docs/architecture.md claims that a new policy is a
// declaration and a stage: its blocks, applied to a copy of the module, must
// build, pass the checks that hold a declaration, the config file's block and
// the docs table together, and do what the example says
// (testdata/worked-example/robots_test.go). Only the tests that name the
// example run in the copy; the rest of the suite runs on the real tree.
//
// A block's info string says where it goes: "go PATH" is a new file, "go PATH
// in NAME" goes at the end of the struct type or composite literal NAME, and
// "go PATH before TEXT" goes before the one line that contains TEXT.
func TestTheArchitectureWorkedExampleBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a copy of the module")
	}
	doc, err := os.ReadFile(filepath.Join(moduleRoot, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Worked example:")
	if !ok {
		t.Fatal(`docs/architecture.md has no "## Worked example:" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := goBlocks(section)
	if len(blocks) == 0 {
		t.Fatal("the worked example has no go blocks")
	}

	dir := t.TempDir()
	if err := copyModule(moduleRoot, dir); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if err := applyBlock(dir, b); err != nil {
			t.Fatalf("the block %q: %v", b.info, err)
		}
	}
	example, err := os.ReadFile(filepath.Join(moduleRoot, "test", "testdata", "worked-example", "robots_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gateway", "worked_example_test.go"), example, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, args := range [][]string{
		{"test", "-count=1", "-run", "TestDocsTableMatchesTheDeclarations", "./policies", "-update"},
		{"vet", "./policies", "./config", "./gateway"},
		// Every check of the declarations; not the tests that spell out a
		// whole resolved policy, which a new key changes by design.
		{"test", "-count=1", "-run", "TestDocsTable|TestDeclarations|TestResolveExplains|TestMetaKeys|TestFromMetaHolds|TestPolicyJSONRoundTrips|TestEveryPolicy|TestWorkedExample",
			"./policies", "./config", "./gateway"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in the example's copy: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// goBlock is one fenced go block of a Markdown text.
type goBlock struct {
	info string // the info string after "go"
	text string
}

// goBlocks returns the fenced go blocks of a Markdown text, in order.
func goBlocks(markdown string) []goBlock {
	var (
		out   []goBlock
		cur   *goBlock
		fence string
		b     strings.Builder
	)
	for line := range strings.Lines(markdown) {
		trimmed := strings.TrimSpace(line)
		if cur == nil {
			if f, info, ok := openFence(trimmed); ok {
				lang, rest, _ := strings.Cut(info, " ")
				cur, fence = &goBlock{info: strings.TrimSpace(rest)}, f
				if lang != "go" {
					cur.info = "\x00" // not a go block: skipped whole
				}
				b.Reset()
			}
			continue
		}
		if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
			if cur.info != "\x00" {
				cur.text = b.String()
				out = append(out, *cur)
			}
			cur = nil
			continue
		}
		b.WriteString(line)
	}
	return out
}

// applyBlock writes a block into the module copy at dir, as its info string
// says, and formats the file.
func applyBlock(dir string, b goBlock) error {
	path, where, _ := strings.Cut(b.info, " ")
	file := filepath.Join(dir, filepath.FromSlash(path))
	src, err := os.ReadFile(file)
	switch {
	case where == "" && err == nil:
		return fmt.Errorf("%s exists: a block without a place is a new file", path)
	case where == "":
		src = []byte(b.text)
	case err != nil:
		return err
	default:
		at, err := insertionPoint(src, where)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		src = append(src[:at:at], append([]byte(b.text), src[at:]...)...)
	}
	out, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("%s does not parse with the block: %w", path, err)
	}
	return os.WriteFile(file, out, 0o644)
}

// insertionPoint is the offset of the start of the line where a block goes:
// "in NAME" (the line of NAME's closing brace) or "before TEXT".
func insertionPoint(src []byte, where string) (int, error) {
	kind, arg, _ := strings.Cut(where, " ")
	switch kind {
	case "before":
		i := bytes.Index(src, []byte(arg))
		if i < 0 || bytes.Contains(src[i+1:], []byte(arg)) {
			return 0, fmt.Errorf("want exactly one line with %q", arg)
		}
		return bytes.LastIndexByte(src[:i], '\n') + 1, nil
	case "in":
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "", src, 0)
		if err != nil {
			return 0, err
		}
		closing := closingBrace(f, arg)
		if !closing.IsValid() {
			return 0, fmt.Errorf("no struct type or composite literal %s", arg)
		}
		i := fset.Position(closing).Offset
		return bytes.LastIndexByte(src[:i], '\n') + 1, nil
	}
	return 0, fmt.Errorf("unknown place %q (want in NAME or before TEXT)", where)
}

// closingBrace finds the closing brace of the top-level struct type or the
// composite literal of the variable called name.
func closingBrace(f *ast.File, name string) token.Pos {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range gd.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				if st, ok := s.Type.(*ast.StructType); ok && s.Name.Name == name {
					return st.Fields.Closing
				}
			case *ast.ValueSpec:
				for i, n := range s.Names {
					if lit, ok := valueAt(s, i).(*ast.CompositeLit); ok && n.Name == name {
						return lit.Rbrace
					}
				}
			}
		}
	}
	return token.NoPos
}

// valueAt is the i-th value of s; a value wrapped in calls
// (`numbered(slices.Concat([]Key{...}, more))`) is the first argument of
// the innermost.
func valueAt(s *ast.ValueSpec, i int) ast.Expr {
	if i >= len(s.Values) {
		return nil
	}
	v := s.Values[i]
	for {
		call, ok := v.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return v
		}
		v = call.Args[0]
	}
}

// copyModule copies the module's files from src to dst, leaving out version
// control and caches.
func copyModule(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); rel != "." && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}
