package hal

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// halSeeds are the seed corpus of the HAL fuzz targets: the real documents
// in testdata, and hostile ones (deep _embedded, many links, unsafe URLs,
// duplicate keys, forms).
func halSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		[]byte(libraryBooks),
		[]byte(`{"_links":{"curies":[{"name":"a","href":"/{rel}","templated":true}],"a:b":[{"href":"javascript:x"}]}}`),
		[]byte(`{"_templates":{"default":{"method":"POST","properties":[{"name":"x","options":{"inline":["a",{"prompt":"b","value":"c"}],"link":{"href":"http://127.0.0.1:9101/o"}}}]}}}`),
		[]byte(`{"_embedded":{"e":[{"_embedded":{"e":{"a":1,"a":2}}}]}}`),
		[]byte(strings.Repeat(`{"_links":{"self":{"href":"//127.0.0.1:9101/x"}},"_embedded":{"down":`, 40) + `{}` + strings.Repeat(`}}`, 40)),
		[]byte(manyLinks(2, 3, 5)),
		[]byte(`{"_links":{"self":{"href":"http://127.0.0.1:9101@evil.example/"},"a":{"href":"HTTP://127.0.0.1:80/x","templated":true}}}`),
	}
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzParseHAL checks that any input parses or fails without panicking or
// hanging, within small bounds, and that a parsed document encodes to a
// fixed point: encoding, parsing and encoding again gives the same bytes.
func FuzzParseHAL(f *testing.F) {
	for _, seed := range halSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := Parser{MaxDepth: 8, MaxLinks: 50, MaxResources: 200, MaxTotalLinks: 500}
		d, err := p.Parse(data)
		if err != nil {
			return
		}
		for _, r := range d.Rels() {
			d.ResolveRel(r.Name)
			for _, l := range r.Links {
				l.Expand(map[string]string{"rel": "x", "q": "y"})
				l.Vars()
			}
		}
		RewriteOrigins(d, []string{"http://127.0.0.1:9101"}, "https://gw.example.com", "/p")
		once, err := d.Encode()
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		d2, err := p.Parse(once)
		if err != nil {
			t.Fatalf("parsing the encoding %s: %v", once, err)
		}
		twice, err := d2.Encode()
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("encoding is not a fixed point:\n%s\n%s (%v)", once, twice, err)
		}
	})
}

// FuzzRewriteHAL rewrites any document with any rewriter: it must not panic
// or hang, must be idempotent (a second run changes nothing), and must leave
// no link at the instance origin it was given.
func FuzzRewriteHAL(f *testing.F) {
	for _, seed := range halSeeds(f) {
		f.Add(seed, "http://127.0.0.1:9101", "https://gw.example.com", "/p")
		f.Add(seed, "https://[::1]:443", "/", "")
	}
	f.Fuzz(func(t *testing.T, data []byte, from, to, prefix string) {
		d, err := Parser{MaxDepth: 8, MaxLinks: 50, MaxResources: 200, MaxTotalLinks: 500}.Parse(data)
		if err != nil {
			return
		}
		rw := Rewriter{From: []string{from}, To: to, StripPrefix: prefix}
		if rw.Validate() != nil {
			if n := rw.Rewrite(d); n != 0 {
				t.Fatalf("an invalid rewriter rewrote %d links", n)
			}
			return
		}
		rw.Rewrite(d)
		if n := rw.Rewrite(d); n != 0 {
			t.Fatalf("a second rewrite changed %d links", n)
		}
		origin, _ := normalizeOrigin(from)
		var check func(d *Document, depth int)
		check = func(d *Document, depth int) {
			if depth > 8 {
				t.Fatalf("a parsed document is deeper than its parser allows")
			}
			for rel, ls := range d.Links {
				for _, l := range ls {
					if s, h, _, ok := splitOrigin(l.Href); ok && s != "" && s+"://"+h == origin {
						t.Fatalf("%s: %q still points at the instance %s", rel, l.Href, origin)
					}
				}
			}
			for _, docs := range d.Embedded {
				for _, e := range docs {
					check(e, depth+1)
				}
			}
		}
		check(d, 0)
		if _, err := d.Encode(); err != nil {
			t.Fatalf("Encode: %v", err)
		}
	})
}
