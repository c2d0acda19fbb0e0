package labels

import (
	"strings"
	"testing"
)

func TestInstanceWeight(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		tags []string
		meta map[string]string
		want int
		err  string // a substring of the error, "" for none
	}{
		{name: "no weight label sets nothing"},
		{name: "other labels set nothing", tags: []string{"bulwark.route=/a"}, meta: map[string]string{"bulwark-timeout": "2s"}},
		{name: "a weight tag sets the weight", tags: []string{"bulwark.weight=5"}, want: 5},
		{name: "a weight meta sets the weight", meta: map[string]string{"bulwark-weight": "7"}, want: 7},
		{name: "a tag wins over the meta", tags: []string{"bulwark.weight=5"}, meta: map[string]string{"bulwark-weight": "7"}, want: 5},
		{name: "the last of several tags wins", tags: []string{"bulwark.weight=5", "bulwark.weight=6"}, want: 6},
		{name: "an empty weight sets nothing", meta: map[string]string{"bulwark-weight": ""}},
		{name: "the bounds are accepted", tags: []string{"bulwark.weight=1000"}, want: 1000},
		{name: "a word is reported as the tag", tags: []string{"bulwark.weight=heavy"},
			err: `tag bulwark.weight="heavy": want a whole number from 1 to 1000`},
		{name: "zero is reported as the meta", meta: map[string]string{"bulwark-weight": "0"},
			err: `meta bulwark-weight="0": want a whole number from 1 to 1000`},
		{name: "more than 1000 is reported", tags: []string{"bulwark.weight=1001"}, err: `"1001"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := InstanceWeight(tt.tags, tt.meta)
			if w != tt.want {
				t.Errorf("weight = %d, want %d", w, tt.want)
			}
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("err = %v, want one containing %q", err, tt.err)
			}
		})
	}
}
