package labels

import (
	"strings"
	"testing"
)

// TestProblemsNameTheirOriginAndSuggestAKey: every problem names the
// exact tag or meta key it was read from (a bad tag used to be reported as
// meta, sending the operator looking for meta that is not there), and an
// unknown key gets the "did you mean" the config file's keys get.
func TestProblemsNameTheirOriginAndSuggestAKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		labels registration
		want   []string // each problem, whole
	}{
		{name: "a misspelt route tag suggests route and names the tag",
			labels: tags("bulwark.rout=/x"),
			want:   []string{`tag "bulwark.rout=/x": unknown label "rout" (did you mean "route"?); ignored (known keys: docs/consul.md)`}},
		{name: "a misspelt meta key suggests the key and names the meta key",
			labels: registration{Meta: map[string]string{"bulwark-stripprefix": "true"}},
			want:   []string{`meta "bulwark-stripprefix": unknown label "stripprefix" (did you mean "strip-prefix"?); ignored (known keys: docs/consul.md)`}},
		{name: "a misspelt policy key suggests the policy key",
			labels: tags("bulwark.tiemout=2s"),
			want:   []string{`tag "bulwark.tiemout=2s": unknown label "tiemout" (did you mean "timeout"?); ignored (known keys: docs/consul.md)`}},
		{name: "a misspelt resilience key suggests the resilience key",
			labels: registration{Meta: map[string]string{"bulwark-breaker-failure": "3"}},
			want:   []string{`meta "bulwark-breaker-failure": unknown label "breaker-failure" (did you mean "breaker-failures"?); ignored (known keys: docs/consul.md)`}},
		{name: "a key close to nothing gets no suggestion",
			labels: tags("bulwark.colour=blue"),
			want:   []string{`tag "bulwark.colour=blue": unknown label "colour"; ignored (known keys: docs/consul.md)`}},
		{name: "the same unknown key as a tag and as meta is reported at both",
			labels: registration{Tags: []string{"bulwark.rout=/a"}, Meta: map[string]string{"bulwark-rout": "/b"}},
			want: []string{
				`tag "bulwark.rout=/a": unknown label "rout" (did you mean "route"?); ignored (known keys: docs/consul.md)`,
				`meta "bulwark-rout": unknown label "rout" (did you mean "route"?); ignored (known keys: docs/consul.md)`,
			}},
		{name: "a bad policy tag is reported as the tag, not as meta",
			labels: tags("bulwark.timeout=fast"),
			want:   []string{`tag "bulwark.timeout=fast": timeout="fast": not a duration (use Go syntax, e.g. 2s or 1500ms); ignored`}},
		{name: "a bad policy meta is still reported as meta",
			labels: registration{Meta: map[string]string{"bulwark-timeout": "fast"}},
			want:   []string{`meta bulwark-timeout="fast": not a duration (use Go syntax, e.g. 2s or 1500ms); ignored`}},
		{name: "a bad policy meta over a good tag is reported as meta",
			labels: registration{Tags: []string{"bulwark.timeout=2s"}, Meta: map[string]string{"bulwark-timeout": "fast"}},
			want:   []string{`meta bulwark-timeout="fast": not a duration (use Go syntax, e.g. 2s or 1500ms); ignored`}},
		{name: "a bad route tag names the tag",
			labels: tags("bulwark.route=pets"),
			want:   []string{`tag "bulwark.route=pets": route "pets": must start with /; skipped`}},
		{name: "a bad route meta names the meta key",
			labels: registration{Meta: map[string]string{"bulwark-route": "pets"}},
			want:   []string{`meta "bulwark-route": route "pets": must start with /; skipped`}},
		{name: "a bad host tag names the tag",
			labels: tags("bulwark.host=bad_host"),
			want:   []string{`tag "bulwark.host=bad_host": host "bad_host": not a host name; skipped`}},
		{name: "a bad boolean meta names the meta key",
			labels: registration{Meta: map[string]string{"bulwark-route": "/a", "bulwark-websocket": "maybe"}},
			want:   []string{`meta "bulwark-websocket": websocket "maybe": want true or false; using false`}},
		{name: "bad methods name the tag",
			labels: tags("bulwark.route=/a", "bulwark.methods=GET,P0ST"),
			want:   []string{`tag "bulwark.methods=GET,P0ST": methods "GET,P0ST": "P0ST" is not a method; the routes take every method`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Parse(tt.labels.Tags, tt.labels.Meta).Problems
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
