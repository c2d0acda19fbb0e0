package catalog

import "github.com/bulwark-gw/bulwark/openapi"

// Contract is the validator of a service's document, for the gateway's
// validate keys (issue 18): cmd hands it to the gateway. It is the
// document the portal shows (Entry.Doc), as for Security, and its
// validator is compiled once per document (openapi.Document.Contract): a
// refreshed document brings a new one, so a changed document is validated
// with its new version. problem says why the document cannot be used to
// validate traffic ("" when it can, or when the service has no document).
func (c *Catalog) Contract(service string) (contract *openapi.Contract, problem string) {
	e, ok := c.Entry(service)
	if !ok || e.Doc == nil {
		return nil, ""
	}
	ct, err := e.Doc.Contract()
	if err != nil {
		return nil, err.Error()
	}
	return ct, ""
}
