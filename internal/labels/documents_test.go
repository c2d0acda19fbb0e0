package labels

import "testing"

func TestDocuments(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		tags []string
		meta map[string]string
		want Documents
	}{
		{name: "no labels name no document"},
		{name: "meta names the OpenAPI document and the HAL root",
			meta: map[string]string{"bulwark-openapi": "/v3/api-docs", "bulwark-hal": "/api"},
			want: Documents{OpenAPI: "/v3/api-docs", HAL: "/api"}},
		{name: "a path that is not absolute is not used, so the catalog probes",
			meta: map[string]string{"bulwark-openapi": "openapi.json", "bulwark-hal": "http://elsewhere/"}},
		{name: "tags do not name documents",
			tags: []string{"bulwark.openapi=/openapi.json", "bulwark.hal=/"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Parse(tt.tags, tt.meta)
			if s.Documents != tt.want {
				t.Errorf("documents = %+v, want %+v", s.Documents, tt.want)
			}
		})
	}
}
