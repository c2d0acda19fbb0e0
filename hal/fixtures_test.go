package hal

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixtureDir holds the shared real-world HAL documents (fixtures/SOURCES.md).
// fixtureDir holds real HAL documents copied from ../shared/fixtures/hal
// (sources and licences in ../openapi/testdata/SOURCES.md).
const fixtureDir = "testdata"

var update = flag.Bool("update", false, "rewrite the testdata/*.golden.json files")

var fixtures = []string{
	"hal-explorer-index.hal.json",
	"hal-explorer-users.hal.json",
	"hal-explorer-movies.hal-forms.json",
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseFixture(t *testing.T, name string) *Document {
	t.Helper()
	d, err := Parse(readFixture(t, name))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	if len(d.Problems) > 0 {
		t.Errorf("Parse(%s) problems = %v, want none", name, d.Problems)
	}
	return d
}

func relNames(d *Document) []string {
	var names []string
	for _, r := range d.Rels() {
		names = append(names, r.Name+" "+r.URI)
	}
	return names
}

func TestHALExplorerIndexHasCuriedAndTemplatedLinks(t *testing.T) {
	d := parseFixture(t, "hal-explorer-index.hal.json")
	want := []string{
		"chatty:users http://localhost:3000/users.html",
		"chatty:messages http://localhost:3000/messages.html",
		"profile ",
	}
	if got := relNames(d); !slices.Equal(got, want) {
		t.Errorf("Rels = %q, want %q", got, want)
	}
	if c := d.Curies(); len(c) != 1 || c[0].Name != "chatty" || !c[0].Templated || !d.LinkArrays["curies"] {
		t.Errorf("curies = %+v (array %v), want one templated chatty CURIE in an array", c, d.LinkArrays["curies"])
	}
	msgs, _ := d.Link("chatty:messages")
	if !msgs.Templated || !slices.Equal(msgs.Vars(), []string{"page", "size"}) {
		t.Errorf("chatty:messages = %+v, want a template of page and size", msgs)
	}
	got, err := msgs.Expand(map[string]string{"page": "2"})
	if want := "http://localhost:3000/messages.hal.json?page=2"; err != nil || got != want {
		t.Errorf("Expand = %q, %v; want %q", got, err, want)
	}
	if u, ok := d.ResolveRel("chatty:users"); !ok || u != "http://localhost:3000/users.html" {
		t.Errorf("ResolveRel(chatty:users) = %q, %v", u, ok)
	}
	for _, rel := range []string{"profile", "self", "nope:users", ":users"} {
		if u, ok := d.ResolveRel(rel); ok {
			t.Errorf("ResolveRel(%q) = %q, want no documentation URL", rel, u)
		}
	}
}

func TestHALExplorerUsersEmbedUsersThatInheritTheCuries(t *testing.T) {
	d := parseFixture(t, "hal-explorer-users.hal.json")
	users := d.Embedded["chatty:users"]
	if len(users) != 3 || !d.EmbeddedArrays["chatty:users"] {
		t.Fatalf("embedded chatty:users = %d (array %v), want an array of 3", len(users), d.EmbeddedArrays["chatty:users"])
	}
	jane := users[0]
	if got := string(jane.Properties["fullName"]); got != `"Jane Doe"` {
		t.Errorf("fullName = %s", got)
	}
	if got, want := jane.PropertyNames(), []string{"id", "fullName", "email"}; !slices.Equal(got, want) {
		t.Errorf("PropertyNames = %q, want %q", got, want)
	}
	if len(jane.Curies()) != 0 {
		t.Errorf("an embedded user has its own curies: %+v", jane.Curies())
	}
	// The dot segment right after the host is in the fixture; it is kept as written.
	if u, ok := jane.ResolveRel("chatty:user"); !ok || u != "https://chatty42.herokuapp.com/../docs/html5/user.html" {
		t.Errorf("ResolveRel(chatty:user) through the parent's CURIE = %q, %v", u, ok)
	}
	l, _ := jane.Link("chatty:messages")
	got, err := l.Expand(map[string]string{"projection": "summary"})
	if want := "https://chatty42.herokuapp.com/api/users/doe_ja/messages?projection=summary"; err != nil || got != want {
		t.Errorf("Expand = %q, %v; want %q", got, err, want)
	}
	var page struct{ Size, TotalElements int }
	if err := json.Unmarshal(d.Properties["page"], &page); err != nil || page.Size != 20 || page.TotalElements != 3 {
		t.Errorf("page = %s (%v)", d.Properties["page"], err)
	}
}

func TestHALExplorerMoviesHaveAHALFormsTemplate(t *testing.T) {
	d := parseFixture(t, "hal-explorer-movies.hal-forms.json")
	if got, want := relNames(d), []string{"self ", "next ", "last "}; !slices.Equal(got, want) {
		t.Errorf("Rels = %q, want %q", got, want)
	}
	movies := d.Embedded["movies"]
	if len(movies) != 1 {
		t.Fatalf("embedded movies = %d, want 1", len(movies))
	}
	if dir, _ := movies[0].Link("directors"); dir.Name != "Frank Darabont" || dir.Href != "http://localhost:3000/api/directors/2" {
		t.Errorf("directors = %+v", dir)
	}
	tpl, ok := d.Templates["default"]
	if !ok {
		t.Fatalf("templates = %v, want default", d.Templates)
	}
	if tpl.Title != "Create Movie" || tpl.Method != "post" || tpl.RequestMethod() != "POST" ||
		tpl.RequestContentType() != "application/json" || tpl.Target != "" || tpl.Unsafe {
		t.Errorf("default template = %+v", tpl)
	}
	var got []string
	for _, p := range tpl.Properties {
		got = append(got, strings.Join([]string{p.Name, p.Prompt, p.Type, p.Regex, p.Placeholder, boolWord(p.Required)}, "|"))
	}
	want := []string{
		"imdbId|IMDB Id|||e.g. 1765356764|",
		"rank|Rank|email|||", // a number field typed email: so says the fixture
		"rating|IMDB Rating||||",
		"thumb|Poster||||",
		"title|Title||||required",
		`year|Release Year||\d{4}$|e.g. 1984|`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("properties =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func boolWord(b bool) string {
	if b {
		return "required"
	}
	return ""
}

func TestFixturesAreWrittenBackAsRead(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name+" encodes to its own compacted bytes", func(t *testing.T) {
			data := readFixture(t, name)
			d := parseFixture(t, name)
			got, err := d.Encode()
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, data); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("Encode =\n%s\nwant\n%s", got, want.Bytes())
			}
		})
	}
}

// TestFixturesRewrittenThroughTheGateway is a golden test: each fixture, with
// the links of its localhost:3000 instance rewritten to a gateway route /chatty
// that strips its prefix, must match testdata/<fixture>.golden.json
// (go test -run Golden -update rewrites them).
func TestFixturesRewrittenThroughTheGatewayGolden(t *testing.T) {
	wantCounts := map[string]int{
		"hal-explorer-index.hal.json":        4, // three links and the CURIE
		"hal-explorer-users.hal.json":        0, // chatty42.herokuapp.com is not the instance
		"hal-explorer-movies.hal-forms.json": 5,
	}
	for _, name := range fixtures {
		t.Run(name+" points its instance links at the gateway", func(t *testing.T) {
			d := parseFixture(t, name)
			n := RewriteOrigins(d, []string{"http://localhost:3000"}, "https://api.example.com", "/chatty")
			if n != wantCounts[name] {
				t.Errorf("rewrote %d URLs, want %d", n, wantCounts[name])
			}
			out, err := d.Encode()
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, out, "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".json")+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("rewritten %s =\n%s\nwant (%s)\n%s", name, got.Bytes(), golden, want)
			}
			if again := RewriteOrigins(d, []string{"http://localhost:3000"}, "https://api.example.com", "/chatty"); again != 0 {
				t.Errorf("a second rewrite changed %d URLs, want 0", again)
			}
		})
	}
}
