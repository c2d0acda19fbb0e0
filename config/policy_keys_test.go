package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// notPolicyKeys are the parts of a policy block that configure the service
// rather than its policy, and so have no declaration in package policies.
var notPolicyKeys = []string{"tls", "docs"}

// Every declared key can be written in a policy block and reaches the
// resolved policy, with the layer that set it: a key declared in policies
// but missing from Policy (or of another type there) fails here.
func TestEveryPolicyKeyIsReachableFromTheFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("defaults:\n")
	var open []string // the blocks the previous key was written in
	for _, k := range policies.Keys() {
		parts := strings.Split(k.Name, ".")
		blocks, name := parts[:len(parts)-1], parts[len(parts)-1]
		same := 0
		for same < len(blocks) && same < len(open) && blocks[same] == open[same] {
			same++
		}
		for i := same; i < len(blocks); i++ {
			fmt.Fprintf(&b, "  %s%s:\n", strings.Repeat("  ", i), blocks[i])
		}
		open = blocks
		fmt.Fprintf(&b, "  %s%s: %s\n", strings.Repeat("  ", len(blocks)), name, yamlValue(k.Default()))
	}
	f, err := Parse("b.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("the built-in values, written out:\n%s\n%v", b.String(), err)
	}
	p, why, err := f.Policy("pets")
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := policies.Resolve()
	if !p.Equal(&want) {
		t.Errorf("policy = %+v, want the built-in %+v", p, want)
	}
	for _, k := range policies.Keys() {
		if why[k.Name] != "defaults" {
			t.Errorf("%s: set by %q, want defaults: the file's value did not reach the policy", k.Name, why[k.Name])
		}
	}
}

// Every field of a policy block is a declared key (or a service setting):
// a field added to Policy without a declaration fails here. (A declared key
// need not be a field: the decoder reads the keys declared with
// policies.value from their declarations, which
// TestEveryPolicyKeyIsReachableFromTheFile proves.)
func TestEveryPolicyBlockValueIsADeclaredKey(t *testing.T) {
	declared := map[string]bool{}
	for _, k := range policies.Keys() {
		declared[k.Name] = true
	}
	for _, path := range yamlLeaves(reflect.TypeFor[Policy](), "") {
		if top, _, _ := strings.Cut(path, "."); slices.Contains(notPolicyKeys, top) {
			continue
		}
		if !declared[path] {
			t.Errorf("%s is in the policy block but not declared in package policies (keys.go)", path)
		}
	}
}

// yamlLeaves lists the dotted yaml paths of the values of struct type t,
// descending into nested blocks.
func yamlLeaves(t reflect.Type, prefix string) []string {
	var out []string
	for name, i := range yamlFields(t) {
		ft := t.Field(i).Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, yamlLeaves(ft, prefix+name+".")...)
		} else {
			out = append(out, prefix+name)
		}
	}
	return out
}

// yamlValue writes a policy value as the file does.
func yamlValue(v any) string {
	switch x := v.(type) {
	case time.Duration:
		return x.String()
	case float64:
		return strconv.FormatFloat(x*100, 'f', -1, 64) + "%"
	case string:
		return strconv.Quote(x)
	case policies.List:
		quoted := make([]string, 0)
		for _, s := range x.Items() {
			quoted = append(quoted, strconv.Quote(s))
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	case policies.Rate:
		return strconv.Quote(x.String())
	}
	return fmt.Sprint(v)
}
