package hal

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestDocumentsAreWrittenBackAsTheServiceWroteThem(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"unknown link attributes and their order are kept",
			`{"_links":{"self":{"title":"Me","href":"/me","x-rank":3,"templated":false}}}`},
		{"a value of the wrong type is kept as it was",
			`{"_links":{"s":{"href":"/{x}","templated":"true"}},"_templates":{"default":{"method":"POST","properties":[{"name":"n","required":"yes","min":"1"}]}}}`},
		{"null members are kept as null",
			`{"_links":{"s":{"href":"/","title":null}},"a":null}`},
		{"a single curies object stays an object",
			`{"_links":{"curies":{"name":"ex","href":"/rels/{rel}","templated":true},"ex:a":{"href":"/a"}}}`},
		{"single-element arrays stay arrays",
			`{"_links":{"item":[{"href":"/1"}]},"_embedded":{"item":[{"id":1}]}}`},
		{"inline options keep their strings and objects",
			`{"_templates":{"default":{"method":"PUT","properties":[{"name":"size","options":{"inline":["S",{"prompt":"Medium","value":"M"}],"selectedValues":["S"],"maxItems":1}}]}}}`},
		{"options behind a link are kept",
			`{"_templates":{"t":{"method":"GET","properties":[{"name":"c","options":{"link":{"href":"/countries","type":"application/json"},"promptField":"name","valueField":"code"}}]}}}`},
		{"numbers are kept as written",
			`{"big":12345678901234567890,"f":1.50,"e":1e3}`},
		{"ampersands and angle brackets are not escaped",
			`{"_links":{"next":{"href":"/b?page=2&size=5"}},"note":"<b>&amp;</b>"}`},
		{"a link without href stays without one",
			`{"_links":{"odd":{"title":"nowhere"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, tt.doc)
			got, err := d.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, []byte(tt.doc)) {
				t.Errorf("Encode =\n%s\nwant\n%s", got, tt.doc)
			}
		})
	}
}

func TestChangesMadeInCodeAreEncoded(t *testing.T) {
	d := mustParse(t, `{"_links":{"self":{"href":"/a"}},"n":1}`)
	d.Links["self"] = append(d.Links["self"], Link{Href: "/b"})
	d.Links["alternate"] = []Link{{Href: "/a.html", Type: "text/html"}}
	d.Properties["m"] = json.RawMessage(`true`)
	d.Templates = map[string]Template{"default": {Method: "DELETE", Properties: []Property{}}}
	want := `{"_links":{"self":[{"href":"/a"},{"href":"/b"}],"alternate":{"href":"/a.html","type":"text/html"}},` +
		`"n":1,"_templates":{"default":{"method":"DELETE","properties":[]}},"m":true}`
	got, err := d.Encode()
	if err != nil || string(got) != want {
		t.Errorf("Encode =\n%s (%v)\nwant\n%s", got, err, want)
	}
}

func TestJSONMarshalUsesTheDocumentEncoding(t *testing.T) {
	d := mustParse(t, `{"_links":{"self":{"href":"/"}},"b":2,"a":1}`)
	got, err := json.Marshal(d)
	if err != nil || string(got) != `{"_links":{"self":{"href":"/"}},"b":2,"a":1}` {
		t.Errorf("json.Marshal = %s, %v", got, err)
	}
}

func TestInvalidRawPropertiesFailEncoding(t *testing.T) {
	d := &Document{Properties: map[string]json.RawMessage{"bad": json.RawMessage(`{`)}}
	if out, err := d.Encode(); err == nil {
		t.Errorf("Encode = %s, want an error", out)
	}
}
