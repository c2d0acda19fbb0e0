package demo

import (
	"net/http"
	"strings"
)

// halType is the media type of every library response but problems and the rel pages.
const halType = "application/hal+json"

// link is a HAL Link Object.
type link struct {
	Href      string `json:"href"`
	Templated bool   `json:"templated,omitempty"`
	Name      string `json:"name,omitempty"`
	Title     string `json:"title,omitempty"`
}

// links is a HAL _links object: each value is a link or, for curies, a []link.
type links map[string]any

// linker builds the links of one response. The library is routed with strip_prefix,
// so a link it builds from its own paths alone would be wrong through the gateway:
// /books/1 must become /library/books/1. When the gateway says where the client
// reached it (X-Forwarded-Prefix, -Host, -Proto) links are built from that, absolute if
// the host is known; when it does not, they are plain relative paths.
type linker struct {
	base string // "" or "/library" or "http://127.0.0.1:8080/library"; never ends in "/"
}

// linkerFor reads the forwarded headers of r. A header that holds a list (several
// proxies) counts by its first element, the one nearest the client; a value that could
// break out of a URL (odd characters, "..") is ignored rather than trusted.
func linkerFor(r *http.Request) linker {
	prefix := forwarded(r, "X-Forwarded-Prefix")
	if !safePrefix(prefix) {
		prefix = ""
	}
	prefix = strings.TrimRight(prefix, "/")
	host := forwarded(r, "X-Forwarded-Host")
	if host == "" || !safeHost(host) {
		return linker{base: prefix}
	}
	scheme := "http"
	if strings.EqualFold(forwarded(r, "X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return linker{base: scheme + "://" + host + prefix}
}

// href returns the link to a path of the service, which starts with "/".
func (l linker) href(path string) string { return l.base + path }

func (l linker) link(path, title string) link { return link{Href: l.href(path), Title: title} }

// templated returns a link whose path is an RFC 6570 URI template.
func (l linker) templated(path, title string) link {
	return link{Href: l.href(path), Templated: true, Title: title}
}

// curies is the one CURIE of the library: "lib:books" is documented at
// {base}/docs/rels/books.
func (l linker) curies() []link {
	return []link{{Name: "lib", Href: l.href("/docs/rels/{rel}"), Templated: true}}
}

func forwarded(r *http.Request, name string) string {
	v, _, _ := strings.Cut(r.Header.Get(name), ",")
	return strings.TrimSpace(v)
}

// safePrefix accepts an absolute path of unreserved characters and percent escapes,
// without "." or ".." segments, and without "//", which would make "//evil.example/books"
// a link to another host.
func safePrefix(p string) bool {
	if p == "" || p[0] != '/' || len(p) > 256 || strings.Contains(p, "//") {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return onlyChars(p, "-._~/%")
}

// safeHost accepts a host name or address with an optional port: letters, digits,
// "-", ".", ":" and the brackets of an IPv6 literal.
func safeHost(h string) bool {
	return len(h) <= 255 && onlyChars(h, "-.:[]")
}

func onlyChars(s, extra string) bool {
	for _, c := range s {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.ContainsRune(extra, c)
		if !ok {
			return false
		}
	}
	return true
}

// writeHAL writes a HAL document.
func writeHAL(w http.ResponseWriter, status int, doc any) {
	writeJSON(w, status, halType, doc)
}
