package labels

// readDocuments reads where the service's documents are, from its meta
// bulwark-openapi and bulwark-hal. A value that is not an absolute path is
// not used (the catalog then probes). Only meta names documents, as it always
// has: the tags bulwark.openapi= and bulwark.hal= are known keys, so not
// reported as typos, but are not read.
func readDocuments(meta map[string]string) Documents {
	path := func(key string) string {
		if p := meta[metaPrefix+key]; p != "" && p[0] == '/' {
			return p
		}
		return ""
	}
	return Documents{OpenAPI: path(openapiKey), HAL: path(halKey)}
}
