package openapi

import (
	"regexp"
	"strings"
)

// kin-openapi reports where a validation error is by the chain of its message
// ("invalid paths: invalid path /pets: invalid operation GET: ..."); locate
// turns the known links of that chain into a JSON pointer, so the portal can
// point at the operation or schema, and keeps the rest as the message.
var locators = []struct {
	re      *regexp.Regexp
	pointer func(m []string) string
}{
	{regexp.MustCompile(`^invalid paths: invalid path ([^:]+): invalid operation ([A-Z]+): `), func(m []string) string {
		return "/paths/" + escape(m[1]) + "/" + strings.ToLower(m[2])
	}},
	{regexp.MustCompile(`^invalid paths: invalid path ([^:]+): `), func(m []string) string { return "/paths/" + escape(m[1]) }},
	{regexp.MustCompile(`^invalid components: (schema|parameter|response|requestBody|header|securityScheme|example|link|callback) "([^"]+)": `),
		func(m []string) string { return "/components/" + m[1] + "s/" + escape(m[2]) }},
}

// locate splits a validation message into a JSON pointer and the rest.
func locate(msg string) (pointer, rest string) {
	for _, l := range locators {
		if m := l.re.FindStringSubmatch(msg); m != nil {
			return l.pointer(m), strings.TrimSpace(msg[len(m[0]):])
		}
	}
	return "", msg
}

// escape is RFC 6901's escaping of one pointer segment.
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
