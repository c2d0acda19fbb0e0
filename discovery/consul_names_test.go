package discovery

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// scanNames is scanServiceNames as a set.
func scanNames(b []byte) (map[string]bool, error) {
	views, err := scanServiceNames(b, nil)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, v := range views {
		set[string(v)] = true
	}
	return set, nil
}

func TestServiceNamesReadsOnlyTheNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		`{}`: nil,
		` { "web" : [ "bulwark.route=/w", "a,b]}" ] ,"db":[],"x\"y":["\\"], "caf\u00e9": null }`: {"web", "db", `x"y`, "café"},
		"{\n\t\"a\": [\"[\", \"{\"],\r\n\"b\": []\n}":                                            {"a", "b"},
	} {
		got, err := scanNames([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, slices.Sorted(slices.Values(want))) {
			t.Errorf("%s: names %q, want %q", in, names, want)
		}
	}
	for _, bad := range []string{``, `[]`, `"x"`, `null`, `{"a" "b"}`, `<html>`, `{"a": [`, `{"a": [}`, `{"a": ["x"]`,
		`{"a": ["x",]}`, `{"a": [1]}`, `{"a": {}}`, `{"a": []}}`, `{"a": []} x`, `{"a": ["\q"]}`, "{\"a\n\": []}", `{,}`} {
		if got, err := scanNames([]byte(bad)); err == nil {
			t.Errorf("%s: no error, names %v", bad, got)
		}
	}
}

// TestServiceNamesAgreesWithEncodingJSON compares the scan with a full
// decode on random service lists with awkward tags.
func TestServiceNamesAgreesWithEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "b", `"`, `\`, "[", "]", "{", "}", ",", ":", " ", "é", "\n", "bulwark.route=/x"}
	word := func() string {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	for range 500 {
		list := map[string][]string{}
		for range rng.IntN(8) {
			tags := []string{}
			for range rng.IntN(4) {
				tags = append(tags, word())
			}
			list[fmt.Sprintf("svc-%s", word())] = tags
		}
		raw, _ := json.MarshalIndent(list, "", " ")
		got, err := scanNames(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(list))) {
			t.Fatalf("%s: names %q", raw, slices.Sorted(maps.Keys(got)))
		}
	}
}

// TestServiceNamesRejectsWhatEncodingJSONRejects mutates valid lists one byte
// at a time and checks the strict scan accepts exactly what a full decode
// into map[string][]string accepts, with the same names.
func TestServiceNamesRejectsWhatEncodingJSONRejects(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	base := []byte(`{"web": ["bulwark.route=/w", "v\"2"], "db": [], "cache": null, "caf\u00e9": ["x"]}`)
	alphabet := []byte(`{}[]",: \nabn\ul0`)
	for range 5000 {
		b := slices.Clone(base)
		for range 1 + rng.IntN(2) {
			i := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b = slices.Delete(b, i, i+1)
			case 1:
				b = slices.Insert(b, i, alphabet[rng.IntN(len(alphabet))])
			default:
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		agreeWithEncodingJSON(t, b)
	}
}

// agreeWithEncodingJSON fails unless the scan and a full decode into
// map[string][]string both fail on b, or both find the same names.
func agreeWithEncodingJSON(t *testing.T, b []byte) {
	t.Helper()
	var want map[string][]string
	wantErr := json.Unmarshal(b, &want)
	if strings.TrimSpace(string(b)) == "null" {
		return // a full decode takes a bare null as an empty map; Consul never sends one
	}
	got, err := scanNames(b)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: scan error %v, encoding/json error %v", b, err, wantErr)
	}
	if err == nil && !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Fatalf("%q: names %q, want %q", b, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
}

// FuzzServiceNames holds the scan to encoding/json's reading of the same
// bytes as map[string][]string: both fail, or both find the same names
// (invalid UTF-8, escapes and duplicate names included).
func FuzzServiceNames(f *testing.F) {
	for _, seed := range []string{
		`{"web": ["bulwark.route=/w", "v\"2"], "db": [], "cache": null, "caf\u00e9": ["x"]}`,
		"{\"a\xff\": [\"\xfe\"], \"a\": []}", `{"a":[],"a":null}`, `{"\ud800": []}`, `{}`, `null`, `{"a": [1]}`,
		`{"":[null]}`, `{"a": ["x", null, "y"]}`, // a null tag: encoding/json reads it as "" (found by this fuzzer in CI)
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(agreeWithEncodingJSON)
}
