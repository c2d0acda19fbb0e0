package openapi

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var (
	fuzzContractOnce sync.Once
	fuzzContract     *Contract
)

// FuzzContractRequest sends any method, path, query, content type and body
// to the shop contract, then checks a response with the same body: nothing
// may panic, a request is found or answered 404/405, a status goes with
// violations and only with them, and violations stay bounded.
func FuzzContractRequest(f *testing.F) {
	for _, s := range [][5]string{
		{"GET", shopBase + "/pets", "limit=5&tags=cat&ids=1,2", "", ""},
		{"POST", shopBase + "/pets", "", "application/json", `{"name":"a","items":[{"name":"b","qty":1}]}`},
		{"POST", shopBase + "/pets", "", "application/json; charset=utf-8", `{"id":1,"name":"a","tag":"x","items":[]} trailing`},
		{"PUT", shopBase + "/shapes", "", "application/json", `{"color":"r","kind":"square","side":1}`},
		{"POST", shopBase + "/forms", "", "application/x-www-form-urlencoded", "name=ab&age=1"},
		{"POST", shopBase + "/uploads", "", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n--x--\r\n"},
		{"GET", shopBase + "/files/a%2Fb.png", "", "", ""},
		{"POST", shopBase + "/tree", "", "application/json", strings.Repeat("[", 200)},
		{"get", "/%zz/..", "%%", "text/plain;;", "\x00"},
	} {
		f.Add(s[0], s[1], s[2], s[3], []byte(s[4]))
	}
	f.Fuzz(func(t *testing.T, method, path, query, ctype string, body []byte) {
		fuzzContractOnce.Do(func() { fuzzContract = shopContract(t) })
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Header: http.Header{}}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		r.Header.Set("X-Rate", "7")
		res := fuzzContract.Request(r, body)
		switch {
		case res.Found && res.Operation == "":
			t.Fatalf("found without an operation: %+v", res)
		case !res.Found && res.Status != http.StatusNotFound && res.Status != http.StatusMethodNotAllowed:
			t.Fatalf("not found, status %d", res.Status)
		case res.Found && (len(res.Violations) == 0) != (res.Status == 0):
			t.Fatalf("status %d with %d violations", res.Status, len(res.Violations))
		}
		if len(res.Violations) > maxViolations {
			t.Fatalf("%d violations", len(res.Violations))
		}
		// The compiled body checks only skip kin-openapi's visitor: without
		// them every result is the same (fastbody.go).
		slow := *fuzzContract
		slow.fast = nil
		if again := slow.Request(r, body); !reflect.DeepEqual(res, again) {
			t.Fatalf("with the compiled checks %+v, without %+v", res, again)
		}
		if res.Found {
			h := http.Header{"Content-Type": {ctype}}
			for _, status := range []int{200, 201} {
				got, want := fuzzContract.Response(res.Operation, status, h, body), slow.Response(res.Operation, status, h, body)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("response %d with the compiled checks %+v, without %+v", status, got, want)
				}
			}
		}
	})
}
