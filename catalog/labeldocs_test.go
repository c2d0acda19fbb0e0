package catalog

import (
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// labelDocs stands in for the label parser the command wires: the catalog
// only consumes its answer, so the test names the paths plainly.
func labelDocs(l discovery.Labels) (string, string) { return l.Meta["doc"], l.Meta["hal"] }

// A service whose labels name its document paths is read there (not at the
// usual places), unless the file names a path, which wins.
func TestTheDocumentPathsTheLabelsNameAreFetched(t *testing.T) {
	var w world
	w.add("labelled", serve(t, "/spec/api.json", `{"openapi":"3.0.3","info":{"title":"labelled","version":"1"},"paths":{}}`), Route{Prefix: "/labelled"})
	w.add("filed", serve(t, "/file.json", `{"openapi":"3.0.3","info":{"title":"filed","version":"1"},"paths":{}}`), Route{Prefix: "/filed"})
	w.add("hal", serve(t, "/api", `{"_links":{"self":{"href":"/api","title":"the HAL root"}}}`), Route{Prefix: "/hal"})
	w.snap.Labels = pmap.From(map[string]discovery.Labels{
		"labelled": {Meta: map[string]string{"doc": "/spec/api.json"}},
		"filed":    {Meta: map[string]string{"doc": "/label.json"}},
		"hal":      {Meta: map[string]string{"hal": "/api"}},
	})
	c := w.run(t, Options{LabelDocs: labelDocs, DocPath: func(s string) string {
		if s == "filed" {
			return "/file.json"
		}
		return ""
	}})
	for name, want := range map[string]string{"labelled": "/spec/api.json", "filed": "/file.json", "hal": "/api"} {
		if e, ok := c.Entry(name); !ok || e.Location != want || e.Error != "" {
			t.Errorf("%s: %+v, want it read from %s", name, e, want)
		}
	}
	if e, _ := c.Entry("hal"); e == nil || e.Kind != "hal" || e.Title != "the HAL root" {
		t.Errorf("hal: %+v, want the HAL root", e)
	}
}

// Without Options.LabelDocs the catalog reads no labels: it probes.
func TestWithoutLabelDocsTheLabelsAreNotRead(t *testing.T) {
	var w world
	w.add("labelled", serve(t, "/spec/api.json", `{"openapi":"3.0.3","info":{"title":"labelled","version":"1"},"paths":{}}`), Route{Prefix: "/labelled"})
	w.add("probed", serve(t, "/openapi.json", `{"openapi":"3.0.3","info":{"title":"probed","version":"1"},"paths":{}}`), Route{Prefix: "/probed"})
	w.snap.Labels = pmap.From(map[string]discovery.Labels{"labelled": {Meta: map[string]string{"doc": "/spec/api.json"}}})
	c := w.run(t, Options{})
	if e, ok := c.Entry("labelled"); ok {
		t.Errorf("labelled: %+v, want it not catalogued", e)
	}
	if e, ok := c.Entry("probed"); !ok || e.Location != "/openapi.json" {
		t.Errorf("probed: %+v", e)
	}
}
