// Package hal reads HAL documents (application/hal+json, draft-kelly-json-hal)
// and their HAL-FORMS extension (application/prs.hal-forms+json) so that the
// catalog can crawl a service's links and the portal can show its relations,
// embedded resources and forms. It also points the links at the gateway
// (RewriteOrigins) and writes the document back (Document.MarshalJSON).
//
// Real documents come from services we do not own, so a bad part never costs
// the rest. Parse fails only when the bytes are not JSON (the error says line and
// column) or the top level is not an object. Everything else that is wrong (a
// link without href, a template that does not parse, an array where an object
// belongs, a duplicate key) is a Problem located by a JSON pointer, on the root
// Document, and the part is kept as well as it can be.
//
// Security decisions:
//
//   - A link is followable only if its href is relative or http(s). Any other
//     scheme (javascript:, data:, vbscript:, file:, mailto:, ...) is reported
//     and the link is kept with Unsafe set, not dropped: the portal shows it as
//     text, and the encoded document stays the service's own. Dropping it would
//     hide the problem from the person who can fix it. An href with control
//     characters or surrounding spaces is unsafe too, because browsers strip them
//     ("java\tscript:" runs as javascript:). Unsafe deprecation or profile
//     attributes mark the link unsafe, and an unsafe HAL-FORMS target marks the
//     template unsafe.
//   - Link.Expand and ResolveRel check the expanded URL again, since a template
//     such as "{+u}" can only be judged after expansion. They never return an
//     unsafe URL.
//   - Nothing here fetches anything. The caller decides what to follow, and it
//     must follow only links to addresses it discovered itself (DESIGN.md: no
//     SSRF through HAL links). A safe scheme says nothing about the host.
//   - Parsing is bounded. _embedded is cut off below Parser.MaxDepth levels
//     (default 32), links past Parser.MaxLinks per resource (default 1000) or
//     Parser.MaxTotalLinks in the whole document (default 100,000), and
//     embedded resources past Parser.MaxResources (default 10,000), are
//     dropped, and at most 200 problems are listed. Rewriting and encoding
//     walk the tree with a cycle check and depth and size bounds, so a
//     Document built in code that embeds itself is refused, not recursed
//     into forever. The caller bounds the size of
//     the input. Duplicate keys are reported, and the last one wins, as in
//     encoding/json, so that this package and other JSON readers see the same
//     document.
//   - RewriteOrigins rewrites only hrefs whose origin is exactly one of the
//     instance origins it is given. It parses the authority as browsers do, so
//     "http://10.0.0.1:9101@evil.example/" does not count as the instance. Other
//     hosts and relative links are left alone.
//
// CURIEs are inherited, so an embedded resource can use its parent's curies, as
// HAL Explorer and Spring HATEOAS expect. RFC 6570 templates are supported
// through level 4 for string values (prefix modifiers); composite (list and
// map) values are not, because the portal fills templates from form fields.
//
// A parsed Document is safe for concurrent reads. RewriteOrigins and other
// changes to it need the caller's exclusion.
package hal

// Media types of HAL and HAL-FORMS documents.
const (
	MediaType      = "application/hal+json"
	FormsMediaType = "application/prs.hal-forms+json"
)
