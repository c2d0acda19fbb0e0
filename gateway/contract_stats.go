package gateway

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// contractStats is what live traffic said about each service's document:
// per operation, the requests checked and the violations by kind, with the
// last few examples (kinds, pointers and messages: never a body or a
// credential); per operation and status, the responses checked and how
// many disagreed; and the traffic the document does not describe, by
// method and a guess at its path template. Everything is bounded: a
// client inventing paths fills the "other" bucket, not the memory.
type contractStats struct {
	mu sync.Mutex
	m  map[string]*serviceContract
}

// serviceContract is one service's share of contractStats.
type serviceContract struct {
	mu           sync.Mutex
	problem      string   // why its document cannot be validated against, or ""
	notes        []string // what its document has that is not checked
	notesOf      Contract // the contract notes were read from
	ops          map[string]*opContract
	undocumented map[string]uint64 // "GET /users/{id}" → requests
	uncheckedN   uint64            // bodies too large to check
}

// opContract is one operation's traffic.
type opContract struct {
	requests, invalid uint64
	byKind            map[string]uint64
	examples          []ViolationExample
	responses         map[int]*responseContract
}

// responseContract is the sampled responses of one status.
type responseContract struct {
	checked, invalid uint64
	byKind           map[string]uint64
}

// ViolationExample is a violation as it was last seen.
type ViolationExample struct {
	Violation
	Direction string    `json:"direction"` // request or response
	Status    int       `json:"status,omitempty"`
	At        time.Time `json:"at"`
}

// Bounds of what is kept per service.
const (
	maxContractOps      = 1000
	maxUndocumented     = 100
	maxExamplesPerOp    = 5
	undocumentedOverrun = "other"
)

func (c *contractStats) of(service string) *serviceContract {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*serviceContract{}
	}
	s := c.m[service]
	if s == nil {
		s = &serviceContract{ops: map[string]*opContract{}, undocumented: map[string]uint64{}}
		c.m[service] = s
	}
	return s
}

func (s *serviceContract) setProblem(p string) {
	s.mu.Lock()
	s.problem = p
	s.mu.Unlock()
}

// setNotes keeps what the service's document has that is not checked; the
// contract's notes are fixed per document, so one read per change is enough.
func (s *serviceContract) setNotes(c Contract) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.notesOf != c {
		s.notesOf, s.notes = c, c.Notes()
	}
}

func (s *serviceContract) unchecked() {
	s.mu.Lock()
	s.uncheckedN++
	s.mu.Unlock()
}

// op is the entry of operation name, made on first use (under s.mu).
func (s *serviceContract) op(name string) *opContract {
	o := s.ops[name]
	if o == nil {
		if len(s.ops) >= maxContractOps {
			name = undocumentedOverrun
			if o = s.ops[name]; o != nil {
				return o
			}
		}
		o = &opContract{byKind: map[string]uint64{}, responses: map[int]*responseContract{}}
		s.ops[name] = o
	}
	return o
}

// request notes one checked request.
func (s *serviceContract) request(method, path string, res ContractResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !res.Found {
		key := method + " " + templateGuess(path)
		if _, ok := s.undocumented[key]; !ok && len(s.undocumented) >= maxUndocumented {
			key = undocumentedOverrun
		}
		s.undocumented[key]++
		return
	}
	o := s.op(res.Operation)
	o.requests++
	if len(res.Violations) > 0 {
		o.invalid++
	}
	for _, v := range res.Violations {
		o.byKind[v.Kind]++
		o.example(ViolationExample{Violation: v, Direction: "request", At: time.Now()})
	}
}

// response notes one sampled response.
func (s *serviceContract) response(op string, status int, vs []Violation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.op(op)
	r := o.responses[status]
	if r == nil {
		if len(o.responses) >= 64 {
			return
		}
		r = &responseContract{byKind: map[string]uint64{}}
		o.responses[status] = r
	}
	r.checked++
	if len(vs) > 0 {
		r.invalid++
	}
	for _, v := range vs {
		r.byKind[v.Kind]++
		o.example(ViolationExample{Violation: v, Direction: "response", Status: status, At: time.Now()})
	}
}

// example keeps the last few violations, newest last.
func (o *opContract) example(e ViolationExample) {
	if len(e.Message) > 200 {
		e.Message = e.Message[:200] + "…"
	}
	o.examples = append(o.examples, e)
	if len(o.examples) > maxExamplesPerOp {
		o.examples = slices.Delete(o.examples, 0, len(o.examples)-maxExamplesPerOp)
	}
}

// templateGuess names a path the document does not have by its shape:
// segments that look like identifiers (numbers, UUIDs, long hex) become
// {id}, so /users/1 and /users/2 are one line.
func templateGuess(path string) string {
	segs := strings.Split(path, "/")
	if len(segs) > 8 {
		segs = append(segs[:8], "…")
	}
	for i, s := range segs {
		if looksLikeID(s) {
			segs[i] = "{id}"
		} else if len(s) > 40 {
			segs[i] = s[:40] + "…"
		}
	}
	return strings.Join(segs, "/")
}

func looksLikeID(s string) bool {
	if s == "" {
		return false
	}
	digits, hex := true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		digits = digits && c >= '0' && c <= '9'
		hex = hex && (c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-')
	}
	return digits || (hex && len(s) >= 16)
}

// ContractView is one service's contract as GET /api/v1/contract shows it.
type ContractView struct {
	Service      string             `json:"service"`
	Problem      string             `json:"problem,omitempty"`
	NotChecked   []string           `json:"not_checked,omitempty"`
	Operations   []OperationTraffic `json:"operations"`
	Undocumented map[string]uint64  `json:"undocumented,omitempty"`
	Unchecked    uint64             `json:"unchecked,omitempty"`
}

// OperationTraffic is one operation's traffic against its document.
type OperationTraffic struct {
	Operation string                     `json:"operation"`
	Requests  uint64                     `json:"requests"`
	Invalid   uint64                     `json:"invalid"`
	ByKind    map[string]uint64          `json:"violations_by_kind,omitempty"`
	Responses map[string]ResponseTraffic `json:"responses,omitempty"` // by status
	Examples  []ViolationExample         `json:"examples,omitempty"`
}

// ResponseTraffic is the sampled responses of one status.
type ResponseTraffic struct {
	Checked uint64            `json:"checked"`
	Invalid uint64            `json:"invalid"`
	ByKind  map[string]uint64 `json:"violations_by_kind,omitempty"`
}

// view copies one service's stats.
func (s *serviceContract) view(service string) ContractView {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := ContractView{Service: service, Problem: s.problem, NotChecked: slices.Clone(s.notes), Unchecked: s.uncheckedN, Operations: []OperationTraffic{}}
	if len(s.undocumented) > 0 {
		v.Undocumented = maps.Clone(s.undocumented)
	}
	for _, name := range slices.Sorted(maps.Keys(s.ops)) {
		o := s.ops[name]
		t := OperationTraffic{Operation: name, Requests: o.requests, Invalid: o.invalid, Examples: slices.Clone(o.examples)}
		if len(o.byKind) > 0 {
			t.ByKind = maps.Clone(o.byKind)
		}
		for status, r := range o.responses {
			if t.Responses == nil {
				t.Responses = map[string]ResponseTraffic{}
			}
			t.Responses[strconv.Itoa(status)] = ResponseTraffic{Checked: r.checked, Invalid: r.invalid, ByKind: maps.Clone(r.byKind)}
		}
		v.Operations = append(v.Operations, t)
	}
	return v
}

// Contract is a service's traffic against its document, for the portal and
// the admin API; false when none was checked.
func (g *Gateway) Contract(service string) (ContractView, bool) {
	g.contracts.mu.Lock()
	s := g.contracts.m[service]
	g.contracts.mu.Unlock()
	if s == nil {
		return ContractView{}, false
	}
	return s.view(service), true
}

// contractsView is every service's contract, by name.
func (g *Gateway) contractsView() []ContractView {
	g.contracts.mu.Lock()
	names := slices.Sorted(maps.Keys(g.contracts.m))
	g.contracts.mu.Unlock()
	out := make([]ContractView, 0, len(names))
	for _, n := range names {
		if v, ok := g.Contract(n); ok {
			out = append(out, v)
		}
	}
	return out
}
