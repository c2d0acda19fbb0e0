package portal

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
)

// Descriptions in API documents are CommonMark. They are rendered with
// goldmark (raw HTML in them is not passed through: goldmark's default) and
// the result is sanitized with bluemonday's UGC policy, which allows text
// formatting, lists, code and http(s) links only: a description can never
// add script, style, forms or javascript: links to a page.
var (
	md       = goldmark.New()
	sanitize = bluemonday.UGCPolicy().RequireNoFollowOnLinks(true).AddTargetBlankToFullyQualifiedLinks(true)
)

// markdown renders a description to safe HTML.
func markdown(s string) template.HTML {
	if s == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(s), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(s)) //nolint:gosec // escaped
	}
	return template.HTML(sanitize.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitized by bluemonday
}
