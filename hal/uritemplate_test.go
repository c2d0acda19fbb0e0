package hal

import (
	"slices"
	"strings"
	"testing"
)

// rfcVars are the variables of RFC 6570 section 1.2 (the string ones).
var rfcVars = map[string]string{
	"var": "value", "hello": "Hello World!", "path": "/foo/bar", "empty": "", "x": "1024", "y": "768",
}

func TestURITemplatesExpandAsRFC6570Section1_2Says(t *testing.T) {
	tests := []struct{ level, template, want string }{
		{"1", "{var}", "value"},
		{"1", "{hello}", "Hello%20World%21"},
		{"2", "{+var}", "value"},
		{"2", "{+hello}", "Hello%20World!"},
		{"2", "{+path}/here", "/foo/bar/here"},
		{"2", "here?ref={+path}", "here?ref=/foo/bar"},
		{"2", "X{#var}", "X#value"},
		{"2", "X{#hello}", "X#Hello%20World!"},
		{"3", "map?{x,y}", "map?1024,768"},
		{"3", "{x,hello,y}", "1024,Hello%20World%21,768"},
		{"3", "{+x,hello,y}", "1024,Hello%20World!,768"},
		{"3", "{+path,x}/here", "/foo/bar,1024/here"},
		{"3", "{#x,hello,y}", "#1024,Hello%20World!,768"},
		{"3", "{#path,x}/here", "#/foo/bar,1024/here"},
		{"3", "X{.var}", "X.value"},
		{"3", "X{.x,y}", "X.1024.768"},
		{"3", "{/var}", "/value"},
		{"3", "{/var,x}/here", "/value/1024/here"},
		{"3", "{;x,y}", ";x=1024;y=768"},
		{"3", "{;x,y,empty}", ";x=1024;y=768;empty"},
		{"3", "{?x,y}", "?x=1024&y=768"},
		{"3", "{?x,y,empty}", "?x=1024&y=768&empty="},
		{"3", "?fixed=yes{&x}", "?fixed=yes&x=1024"},
		{"3", "{&x,y,empty}", "&x=1024&y=768&empty="},
		{"4", "{var:3}", "val"},
		{"4", "{var:30}", "value"},
		{"4", "{+path:6}/here", "/foo/b/here"},
		{"4", "{#path:6}/here", "#/foo/b/here"},
		{"4", "X{.var:3}", "X.val"},
		{"4", "{/var:1,var}", "/v/value"},
		{"4", "{;hello:5}", ";hello=Hello"},
		{"4", "{?var:3}", "?var=val"},
		{"4", "{&var:3}", "&var=val"},
	}
	for _, tt := range tests {
		t.Run("level "+tt.level+" "+tt.template+" expands to "+tt.want, func(t *testing.T) {
			tpl, err := ParseURITemplate(tt.template)
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.Expand(rfcVars); got != tt.want {
				t.Errorf("Expand = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestURITemplateEdgeCases(t *testing.T) {
	tests := []struct {
		name, template string
		vars           map[string]string
		want           string
	}{
		{"undefined variables expand to nothing, with no operator prefix", "/books{?q,page}", nil, "/books"},
		{"only the defined variables of a query are written", "/books{?q,page}", map[string]string{"page": "2"}, "/books?page=2"},
		{"an empty string is defined", "/books{?q}", map[string]string{"q": ""}, "/books?q="},
		{"simple expansion encodes reserved characters", "/rels/{rel}", map[string]string{"rel": "a/b?c"}, "/rels/a%2Fb%3Fc"},
		{"reserved expansion keeps pct-encoded triplets", "{+p}", map[string]string{"p": "/a%20b/%zz"}, "/a%20b/%25zz"},
		{"non-ASCII values are UTF-8 pct-encoded", "{q}", map[string]string{"q": "é"}, "%C3%A9"},
		{"a prefix counts characters, not bytes", "{q:2}", map[string]string{"q": "éèà"}, "%C3%A9%C3%A8"},
		{"literals not allowed in a URI are pct-encoded", "/a b<{x}", map[string]string{"x": "1"}, "/a%20b%3C1"},
		{"explode changes nothing for a string", "{/x*}", map[string]string{"x": "1"}, "/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := ParseURITemplate(tt.template)
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.Expand(tt.vars); got != tt.want {
				t.Errorf("Expand = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMalformedURITemplatesAreRejected(t *testing.T) {
	tests := []struct{ name, template, wantErr string }{
		{"an unclosed expression", "/books{?q", "not closed"},
		{"a stray closing brace", "/books}", "closes nothing"},
		{"an empty expression", "/books{}", "empty expression"},
		{"a reserved operator", "{=x}", "reserved"},
		{"a variable name with a space", "{a b}", "not a variable name"},
		{"a nested brace", "{a{b}", "not a variable name"},
		{"a prefix of zero", "{x:0}", "prefix"},
		{"a prefix too long", "{x:10000}", "prefix"},
		{"a trailing dot in a name", "{x.}", "not a variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an error", func(t *testing.T) {
			_, err := ParseURITemplate(tt.template)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestURITemplateVarsAreListedOnceInOrder(t *testing.T) {
	tpl, err := ParseURITemplate("/users/{id}{?projection,id,page:2}{&sort*}")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tpl.Vars(), []string{"id", "projection", "page", "sort"}; !slices.Equal(got, want) {
		t.Errorf("Vars = %q, want %q", got, want)
	}
}
