package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeContract is a document that says: POST /pets needs a JSON body with
// "name"; GET /pets/{id} answers 200 with "name"; everything else is not
// in it. It records what it was asked, so a test can see the bytes checked.
type fakeContract struct {
	mu     sync.Mutex
	bodies [][]byte
	resps  int
}

func (f *fakeContract) Request(r *http.Request, body []byte) ContractResult {
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	switch {
	case r.Method == "POST" && r.URL.Path == "/pets":
		res := ContractResult{Found: true, Operation: "addPet", Template: "/pets"}
		var v map[string]any
		if json.Unmarshal(body, &v) != nil {
			res.Violations, res.Status = []Violation{{Kind: "body", Pointer: "/body", Message: "not JSON"}}, 400
		} else if _, ok := v["name"]; !ok {
			res.Violations, res.Status = []Violation{{Kind: "body", Pointer: "/body/name", Message: "property \"name\" is missing"}}, 400
		}
		return res
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/pets/"):
		return ContractResult{Found: true, Operation: "getPet", Template: "/pets/{id}"}
	case r.URL.Path == "/pets":
		return ContractResult{Status: 405}
	}
	return ContractResult{Status: 404}
}

func (f *fakeContract) Response(op string, status int, h http.Header, body []byte) []Violation {
	f.mu.Lock()
	f.resps++
	f.mu.Unlock()
	if status != 200 {
		return []Violation{{Kind: "status", Message: "status not declared"}}
	}
	var v []Violation
	if !bytes.Contains(body, []byte(`"name"`)) {
		v = append(v, Violation{Kind: "body", Pointer: "/body/name", Message: "property \"name\" is missing"})
	}
	if h.Get("X-Total-Count") == "" {
		v = append(v, Violation{Kind: "header", Pointer: "/header/X-Total-Count", Message: "required response header is missing"})
	}
	return v
}

func (f *fakeContract) Notes() []string { return []string{"const (2 schemas)"} }

func validatedHarness(t *testing.T, up *upstream, set map[string]any, c Contract) *harness {
	t.Helper()
	return admitHarness(t, up, set, nil, func(cfg *Config) {
		cfg.Contracts = func(string) (Contract, string) { return c, "" }
	})
}

func TestEnforceRefusesWhatTheDocumentDoesNotAllowBeforeTheUpstream(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	c := &fakeContract{}
	h := validatedHarness(t, up, map[string]any{"validate.requests": "enforce"}, c)
	cases := []struct {
		method, path, body string
		want               int
		pointer            string
	}{
		{"POST", "/pets", `{"tag":"x"}`, 400, "/body/name"},
		{"POST", "/pets", `not json`, 400, "/body"},
		{"DELETE", "/pets", ``, 405, ""},
		{"GET", "/nowhere", ``, 404, ""},
	}
	for _, tc := range cases {
		res, body := h.do(t, newRequest(t, tc.method, h.url(tc.path), strings.NewReader(tc.body), "Content-Type: application/json"))
		var p contractProblem
		if err := json.Unmarshal(body, &p); err != nil || res.StatusCode != tc.want || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d %s, want %d problem+json", tc.method, tc.path, res.StatusCode, body, tc.want)
			continue
		}
		if tc.pointer != "" && (len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer) {
			t.Errorf("%s %s: errors %+v, want one at %s", tc.method, tc.path, p.Errors, tc.pointer)
		}
	}
	if up.Count() != 0 {
		t.Fatalf("refused requests reached the upstream: %d", up.Count())
	}
	// A valid body reaches the upstream as the very bytes checked, chunked or not.
	for _, chunked := range []bool{false, true} {
		payload := `{"name":"rex","pad":"` + strings.Repeat("x", 3000) + `"}`
		var rd io.Reader = strings.NewReader(payload)
		if chunked {
			rd = io.MultiReader(strings.NewReader(payload)) // no length: sent chunked
		}
		res, body := h.do(t, newRequest(t, "POST", h.url("/pets"), rd, "Content-Type: application/json"))
		if res.StatusCode != 200 {
			t.Fatalf("valid body (chunked %v): %d %s", chunked, res.StatusCode, body)
		}
		if got := up.Last(t).Body; sha256.Sum256(got) != sha256.Sum256([]byte(payload)) {
			t.Errorf("the upstream got %d bytes, not the %d checked", len(got), len(payload))
		}
	}
	c.mu.Lock()
	last := c.bodies[len(c.bodies)-1]
	c.mu.Unlock()
	if !bytes.HasPrefix(last, []byte(`{"name":"rex"`)) {
		t.Errorf("the contract was not given the body: %q", last[:min(len(last), 20)])
	}
}

func TestReportLetsEverythingThroughAndCountsWhatDisagrees(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	h := validatedHarness(t, up, map[string]any{"validate.requests": "report"}, &fakeContract{})
	for range 3 {
		h.do(t, newRequest(t, "POST", h.url("/pets"), strings.NewReader(`{}`)))
	}
	h.do(t, newRequest(t, "POST", h.url("/pets"), strings.NewReader(`{"name":"a"}`)))
	h.get(t, "/users/42")
	h.get(t, "/users/43")
	if up.Count() != 6 {
		t.Fatalf("report mode let %d of 6 through", up.Count())
	}
	v, ok := h.g.Contract("svc")
	if !ok || len(v.Operations) != 1 || v.Operations[0].Requests != 4 || v.Operations[0].Invalid != 3 || v.Operations[0].ByKind["body"] != 3 {
		t.Fatalf("contract view %+v", v)
	}
	if len(v.NotChecked) != 1 {
		t.Errorf("not checked %q, want the contract's note", v.NotChecked)
	}
	if ex := v.Operations[0].Examples; len(ex) == 0 || ex[0].Pointer != "/body/name" || ex[0].Direction != "request" {
		t.Errorf("examples %+v", ex)
	}
	if v.Undocumented["GET /users/{id}"] != 2 {
		t.Errorf("undocumented %v, want GET /users/{id}: 2", v.Undocumented)
	}
	if n, _ := metricValue(t, h.reg, "bulwark_contract_requests_total", map[string]string{"service": "svc", "result": "invalid"}); n != 3 {
		t.Errorf("invalid requests counted %v, want 3", n)
	}
}

func TestABodyOverTheLimitIsRefusedUnderEnforceAndStreamsUnderReport(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	big := strings.Repeat("y", 5000)
	for _, mode := range []string{"enforce", "report"} {
		for _, chunked := range []bool{false, true} {
			h := validatedHarness(t, up, map[string]any{"validate.requests": mode, "validate.max_body_bytes": int64(1000)}, &fakeContract{})
			var rd io.Reader = strings.NewReader(big)
			if chunked {
				rd = io.MultiReader(strings.NewReader(big))
			}
			res, _ := h.do(t, newRequest(t, "POST", h.url("/pets"), rd))
			switch mode {
			case "enforce":
				if res.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("enforce, chunked %v: %d, want 413", chunked, res.StatusCode)
				}
			case "report":
				if res.StatusCode != 200 || string(up.Last(t).Body) != big {
					t.Errorf("report, chunked %v: %d, the upstream got %d bytes of %d", chunked, res.StatusCode, len(up.Last(t).Body), len(big))
				}
			}
		}
	}
}

func TestSampledResponsesAreCheckedOffThePath(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/pets/3" {
			w.Header().Set("X-Total-Count", "1") // a declared header the contract sees
		}
		if r.URL.Path == "/pets/1" {
			_, _ = io.WriteString(w, `{"name":"rex"}`)
			return
		}
		_, _ = io.WriteString(w, `{"nom":"rex"}`) // drifted: name is gone
	})
	c := &fakeContract{}
	h := validatedHarness(t, up, map[string]any{"validate.responses": "report", "validate.sample": 1.0}, c)
	for _, p := range []string{"/pets/1", "/pets/2", "/pets/3"} {
		if res, _ := h.get(t, p); res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, res.StatusCode)
		}
	}
	eventually(t, "three responses checked", func() bool {
		v, _ := h.g.Contract("svc")
		return len(v.Operations) == 1 && v.Operations[0].Responses["200"].Checked == 3
	})
	v, _ := h.g.Contract("svc")
	if r := v.Operations[0].Responses["200"]; r.Invalid != 2 || r.ByKind["body"] != 2 || r.ByKind["header"] != 1 {
		t.Errorf("responses %+v, want 2 of 3 invalid: 2 in body, 1 in a header", r)
	}
	h.g.Close() // the checker stops; goleak in TestMain sees it gone
}

func TestADocumentThatCannotBeCompiledLeavesTrafficAlone(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	h := admitHarness(t, up, map[string]any{"validate.requests": "enforce"}, nil, func(cfg *Config) {
		cfg.Contracts = func(string) (Contract, string) { return nil, "schema #/components/schemas/Pet: unsupported format" }
	})
	if res, _ := h.do(t, newRequest(t, "POST", h.url("/pets"), strings.NewReader(`garbage`))); res.StatusCode != 200 {
		t.Fatalf("status %d: a broken document must not block traffic", res.StatusCode)
	}
	if v, _ := h.g.Contract("svc"); !strings.Contains(v.Problem, "unsupported format") {
		t.Errorf("problem %q not shown", v.Problem)
	}
}
