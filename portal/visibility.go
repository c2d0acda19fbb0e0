package portal

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Where services run is the operator's business. One rule decides whether
// the portal tells it: Options.ShowInstances (portal.instances in the file;
// unset, shown only behind portal.users, where every viewer has signed in).
// When it may not, every answer the portal gives (pages, the catalog's JSON
// API, document downloads, error messages, the system map, search results,
// and their headers) passes through visibility below before it leaves, and
// leaves with every instance address replaced by a neutral label, "instance
// 1", "instance 2", numbered per service. The facts stay: how many instances,
// which one serves which document version, why a document cannot be read.
//
// The step works on the finished answer, not on each page's data, so a page
// or an API route added later is covered without being told; and it is the
// only place that hides addresses, so no page has a rule of its own.

// visibility applies the rule to every answer of h.
func (p *portal) visibility(h http.Handler) http.Handler {
	if p.opts.ShowInstances {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := &bufferedAnswer{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(buf, r)
		// A redirect says back the path it was asked for (ServeMux cleaning
		// "//"): an address typed into it would come back changed into a
		// label, which tells that it is an instance. No portal page
		// redirects to an address, so such a redirect is not one of ours.
		if loc := buf.header.Get("Location"); loc != "" && anyAddress.MatchString(unescaped(loc)) {
			http.NotFound(w, r)
			return
		}
		hide := p.hider()
		out := w.Header()
		for k, vs := range buf.header {
			for i, v := range vs {
				vs[i] = string(hide.apply([]byte(v)))
			}
			out[k] = vs
		}
		body := hide.apply(buf.body.Bytes())
		if len(body) != buf.body.Len() && out.Get("Content-Length") != "" {
			out.Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(body)
	})
}

// bufferedAnswer holds an answer until the visibility step has read it.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (b *bufferedAnswer) Header() http.Header { return b.header }

func (b *bufferedAnswer) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedAnswer) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

// hider replaces the instance addresses the portal knows of with their labels.
type hider struct {
	re     *regexp.Regexp    // any written form of any address, its scheme included
	labels map[string]string // lowercased written form → label
}

// hider gathers every instance address the portal could show: those the
// catalog read documents from, those each service's health names, and those
// on the system map; each gets "instance N", N counting per service.
func (p *portal) hider() *hider {
	h := &hider{labels: map[string]string{}}
	count := map[string]int{}
	label := map[string]string{}
	add := func(service, addr string) {
		if addr == "" || label[addr] != "" {
			return
		}
		count[service]++
		label[addr] = fmt.Sprintf("instance %d", count[service])
	}
	if p.opts.Catalog != nil {
		for _, e := range p.opts.Catalog.Entries() {
			add(e.Service, e.Instance)
			for _, v := range e.Versions {
				for _, a := range v.Instances {
					add(e.Service, a)
				}
			}
			if p.opts.Health != nil {
				if hl, ok := p.opts.Health(e.Service); ok {
					for _, in := range hl.Instances {
						add(e.Service, in.Addr)
					}
				}
			}
		}
	}
	if p.opts.Map != nil {
		for _, s := range p.opts.Map() {
			for _, in := range s.Instances {
				add(s.Name, in.Addr)
			}
		}
	}
	var forms []string
	for addr, l := range label {
		// As written in text and JSON, in a URL, and escaped for HTML.
		for _, f := range []string{addr, url.QueryEscape(addr), url.PathEscape(addr), template.HTMLEscapeString(addr)} {
			k := strings.ToLower(f)
			if _, dup := h.labels[k]; !dup {
				h.labels[k] = l
				forms = append(forms, regexp.QuoteMeta(f))
			}
		}
	}
	if len(forms) == 0 {
		return h
	}
	// Longest first: of two addresses where one starts the other, the
	// longer is the one written.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	h.re = regexp.MustCompile(`(?i)(?:https?://|https?%3a%2f%2f)?(` + strings.Join(forms, "|") + `)`)
	return h
}

// apply returns b with every known address, and every address a network
// error names (see netError), replaced.
func (h *hider) apply(b []byte) []byte {
	if h.re != nil {
		var out []byte
		last := 0
		for i := 0; i < len(b); {
			loc := h.re.FindSubmatchIndex(b[i:])
			if loc == nil {
				break
			}
			start, end := i+loc[0], i+loc[1]
			addr := b[i+loc[2] : i+loc[3]]
			// Only whole addresses: 127.0.0.1:80 is not in 127.0.0.1:8080
			// nor in 10.127.0.0.1:80.
			if (start > 0 && hostByte(b[start-1])) || (end < len(b) && isDigit(b[end])) {
				i = start + 1
				continue
			}
			out = append(out, b[last:start]...)
			out = append(out, h.labels[strings.ToLower(string(addr))]...)
			last, i = end, end
		}
		if out != nil {
			b = append(out, b[last:]...)
		}
	}
	return netError.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := netError.FindSubmatchIndex(m)
		for g := len(sub) - 2; g >= 2; g -= 2 {
			if sub[g] >= 0 {
				m = append(append(append([]byte(nil), m[:sub[g]]...), "an address"...), m[sub[g+1]:]...)
			}
		}
		return m
	})
}

// hostAddr is what a host:port looks like: a name or an IPv4 address, or an
// IPv6 one in brackets, then a port.
const hostAddr = `(?:\[[0-9A-Fa-f:.%]+\]|[0-9A-Za-z][0-9A-Za-z.-]*):[0-9]{1,5}`

// netError finds the addresses Go's network errors name besides the
// instance's own (which the labels already replaced): the name an instance's
// host resolved to ("dial tcp 10.0.0.7:8080"), the gateway's own end of a
// connection ("read tcp 10.0.0.2:51234->..."), a resolver ("lookup x on
// 10.0.0.53:53"), a URL ("Get \"http://...\"", however the quotes are
// escaped). These phrasings only ever come from error text.
var netError = regexp.MustCompile(`(?:(?:tcp|udp)[46]? (` + hostAddr + `)(?:->(` + hostAddr + `))?|->(` + hostAddr + `)` +
	`| on (` + hostAddr + `):|(?:Get|Head|Post) (?:"|\\"|&#34;|&quot;)https?://(` + hostAddr + `))`)

// anyAddress is anything shaped like an address: host:port, or an IPv4 or
// bracketed IPv6 address alone. It hides what a viewer types that the
// portal would say back (a search, a redirect) whatever it is, so that
// the labels cannot be used to test a guess.
var anyAddress = regexp.MustCompile(hostAddr + `|\b[0-9]{1,3}(?:\.[0-9]{1,3}){3}\b|\[[0-9A-Fa-f:.%]+\]`)

// echo is text a viewer sent, as the portal may say it back.
func (p *portal) echo(s string) string {
	if p.opts.ShowInstances {
		return s
	}
	return anyAddress.ReplaceAllString(s, "an address")
}

func unescaped(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func hostByte(c byte) bool {
	return isDigit(c) || c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
