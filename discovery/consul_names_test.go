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

func TestServiceNamesReadsOnlyTheNames(t *testing.T) {
	for in, want := range map[string][]string{
		`{}`: nil,
		` { "web" : [ "bulwark.route=/w", "a,b]}" ] ,"db":[],"x\"y":["\\"], "caf\u00e9": null }`: {"web", "db", `x"y`, "café"},
		"{\n\t\"a\": [\"[\", \"{\"],\r\n\"b\": []\n}":                                            {"a", "b"},
	} {
		var got serviceNames
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, slices.Sorted(slices.Values(want))) {
			t.Errorf("%s: names %q, want %q", in, names, want)
		}
	}
	for _, bad := range []string{`[]`, `"x"`, `null`, `{"a" "b"}`, `<html>`, `{"a": [`} {
		var got serviceNames
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
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
		var got serviceNames
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(list))) {
			t.Fatalf("%s: names %q", raw, slices.Sorted(maps.Keys(got)))
		}
	}
}
