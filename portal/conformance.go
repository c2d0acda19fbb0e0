package portal

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// What live traffic said about a service's document, as the gateway counted
// it (validate.requests and validate.responses): the operation page says
// where responses or requests disagree with the document ("live traffic
// disagrees with this document: 3.1% of 200 responses ..."), the service
// page which traffic the document does not describe, and why a document
// cannot be used to check traffic at all. Only counts, kinds, JSON Pointers
// and short messages reach the portal: never a body or a credential.

// Conformance is one service's traffic against its document.
type Conformance struct {
	// Problem says why the document cannot be used to validate traffic.
	Problem string
	// Operations by slug.
	Operations map[string]OperationConformance
	// Undocumented counts requests the document has no operation for, by
	// "METHOD /guessed/{id}".
	Undocumented map[string]uint64
}

// OperationConformance is one operation's traffic.
type OperationConformance struct {
	Requests, Invalid uint64
	ByKind            map[string]uint64
	// Responses by status ("200"): sampled, and how many disagreed.
	Responses map[string]ResponseConformance
	// Examples are the last few violations.
	Examples []ConformanceExample
}

// ResponseConformance is the sampled responses of one status.
type ResponseConformance struct {
	Checked, Invalid uint64
	ByKind           map[string]uint64
}

// ConformanceExample is one violation as last seen.
type ConformanceExample struct {
	Direction, Kind, Pointer, Message string
	Status                            int
}

// conformance is the service's, or nil.
func (p *portal) conformance(service string) *Conformance {
	if p.opts.Conformance == nil {
		return nil
	}
	c, ok := p.opts.Conformance(service)
	if !ok {
		return nil
	}
	return &c
}

// drift is what an operation page says about its traffic: one line per
// direction and status that disagreed, with the newest example of each.
type drift struct {
	Lines []string
}

// operationDrift reads an operation's conformance into sentences.
func operationDrift(c *Conformance, slug string) drift {
	var d drift
	if c == nil {
		return d
	}
	o, ok := c.Operations[slug]
	if !ok {
		return d
	}
	example := func(dir string, status int) string {
		for i := len(o.Examples) - 1; i >= 0; i-- {
			e := o.Examples[i]
			if e.Direction == dir && (status == 0 || e.Status == status) {
				where := e.Kind
				if e.Pointer != "" {
					where = e.Pointer
				}
				return fmt.Sprintf(" (latest: %s: %s)", where, e.Message)
			}
		}
		return ""
	}
	if o.Invalid > 0 {
		d.Lines = append(d.Lines, fmt.Sprintf("%s of %d requests do not match it: %s%s",
			percentOf(o.Invalid, o.Requests), o.Requests, kinds(o.ByKind), example("request", 0)))
	}
	for _, status := range slices.Sorted(maps.Keys(o.Responses)) {
		r := o.Responses[status]
		if r.Invalid == 0 {
			continue
		}
		n := 0
		fmt.Sscan(status, &n)
		d.Lines = append(d.Lines, fmt.Sprintf("%s of %d sampled %s responses do not match it: %s%s",
			percentOf(r.Invalid, r.Checked), r.Checked, status, kinds(r.ByKind), example("response", n)))
	}
	return d
}

// percentOf writes part of whole as "3.1%".
func percentOf(part, whole uint64) string {
	if whole == 0 {
		return "0%"
	}
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", 100*float64(part)/float64(whole)), "0"), ".") + "%"
}

// kinds writes violation counts by kind, most first: "body 12, query 2".
func kinds(m map[string]uint64) string {
	names := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %d", n, m[n])
	}
	return strings.Join(parts, ", ")
}

// undocumented is the service page's list of traffic the document lacks,
// most requested first.
type undocumentedLine struct {
	Request string
	Count   uint64
}

func undocumentedTraffic(c *Conformance) []undocumentedLine {
	if c == nil {
		return nil
	}
	out := make([]undocumentedLine, 0, len(c.Undocumented))
	for k, n := range c.Undocumented {
		out = append(out, undocumentedLine{k, n})
	}
	slices.SortFunc(out, func(a, b undocumentedLine) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Request, b.Request))
	})
	return out
}
