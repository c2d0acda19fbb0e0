package catalog

import "github.com/bulwark-gw/bulwark/openapi"

// Security finds what a service's document requires of a request, for the
// gateway's auth.from_openapi (issue 17): cmd hands it to the gateway as its
// OperationSecurity. The path is the request path as the client sends it to
// the gateway; the document's servers already name the gateway's route.
//
// It runs on every request of such a route, so it takes no lock: one atomic
// load of the catalog's view, a binary search by name, and the document's
// own index, built when the document was loaded. The document is the one the portal shows (Entry.Doc): during
// a rolling deploy the instances may serve other versions (Entry.Versions),
// and the gateway enforces what the portal tells people to send.
//
// found is false for a service without a document, or a request the
// document has no operation for.
func (c *Catalog) Security(service, method, path string) (reqs []openapi.Requirement, found bool) {
	e, ok := c.Entry(service)
	if !ok || e.Doc == nil {
		return nil, false
	}
	return e.Doc.Security(method, path)
}
