package labels

import "testing"

func TestDocuments(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		tags     []string
		meta     map[string]string
		want     Documents
		problems int
	}{
		{name: "no labels name no document"},
		{name: "meta names the OpenAPI document and the HAL root",
			meta: map[string]string{"bulwark-openapi": "/v3/api-docs", "bulwark-hal": "/api"},
			want: Documents{OpenAPI: "/v3/api-docs", HAL: "/api"}},
		{name: "a path that is not absolute is reported and not used, so the catalog probes",
			meta:     map[string]string{"bulwark-openapi": "openapi.json", "bulwark-hal": "http://elsewhere/"},
			problems: 2},
		{name: "a scheme-relative or climbing path is reported and not used",
			meta:     map[string]string{"bulwark-openapi": "//elsewhere/openapi.json", "bulwark-hal": "/a/../b"},
			problems: 2},
		{name: "tags name documents too",
			tags: []string{"bulwark.openapi=/openapi.json", "bulwark.hal=/"},
			want: Documents{OpenAPI: "/openapi.json", HAL: "/"}},
		{name: "meta wins over a tag",
			tags: []string{"bulwark.openapi=/old.json"}, meta: map[string]string{"bulwark-openapi": "/new.json"},
			want: Documents{OpenAPI: "/new.json"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := Parse(tt.tags, tt.meta)
			if s.Documents != tt.want {
				t.Errorf("documents = %+v, want %+v", s.Documents, tt.want)
			}
			if len(s.Problems) != tt.problems {
				t.Errorf("problems = %q, want %d", s.Problems, tt.problems)
			}
		})
	}
}
