package labels

import "strings"

// readDocuments reads where the service's documents are: bulwark.openapi= and
// bulwark.hal= as tags or bulwark-openapi and bulwark-hal as meta (meta wins,
// as for every other key). The value must be a clean absolute path on the
// service's own instances: a URL would send the catalog to an address that
// neither configuration nor discovery gave it, so it is reported and not
// used, and the catalog then probes the usual places.
func readDocuments(values map[string][]value, report func(string, ...any)) Documents {
	path := func(key string) string {
		vs := values[key]
		if len(vs) == 0 {
			return ""
		}
		v := vs[len(vs)-1]
		if !cleanPath(v.val) {
			report("%s: %s %q must be an absolute path on the service's instances, such as /openapi.json; ignored", v.origin, key, v.val)
			return ""
		}
		return v.val
	}
	return Documents{OpenAPI: path(openapiKey), HAL: path(halKey)}
}

// cleanPath is the rule the config file's docs paths follow too: absolute, no
// query, fragment or space, no "..".
func cleanPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "?# \\") && !strings.Contains(p, "..")
}
