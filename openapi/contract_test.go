package openapi

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// shopBase is where the gateway serves the shop document's operations:
// the route prefix it strips, then the document's own server path.
const shopBase = "/shop/api/v1"

func shopContract(t testing.TB) *Contract {
	t.Helper()
	data, err := os.ReadFile("testdata/contract/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := load(t, string(data), Options{PublicURL: "https://gw.test", RoutePrefix: "/shop", StripPrefix: true})
	c, err := doc.Contract()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// call is one request of a table test.
type call struct {
	method, target string
	header         map[string]string
	ctype          string
	body           string
}

func (c call) request() (*http.Request, []byte) {
	r := httptest.NewRequest(c.method, c.target, nil)
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	if c.ctype != "" {
		r.Header.Set("Content-Type", c.ctype)
	}
	return r, []byte(c.body)
}

// where lists violations as "kind pointer", the part tests assert on.
func where(vs []Violation) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Kind+" "+v.Pointer)
	}
	slices.Sort(out)
	return out
}

var withKey = map[string]string{"X-API-Key": "k-secret-1"}

func TestContractRequestReportsEachViolationWithAPointer(t *testing.T) {
	c := shopContract(t)
	rate := map[string]string{"X-Rate": "5"}
	for _, tt := range []struct {
		name   string
		call   call
		op     string
		want   []string
		status int
	}{
		{"a valid request has no violations", call{method: "GET", target: shopBase + "/pets?limit=5&tags=cat&tags=dog&ids=1,2", header: rate}, "listpets", nil, 0},
		{"a query integer out of range points at the parameter", call{method: "GET", target: shopBase + "/pets?limit=500", header: rate}, "listpets", []string{"query /query/limit"}, 400},
		{"a query value that is no integer points at the parameter", call{method: "GET", target: shopBase + "/pets?limit=many", header: rate}, "listpets", []string{"query /query/limit"}, 400},
		{"an exploded form array checks each item", call{method: "GET", target: shopBase + "/pets?tags=cat&tags=cow", header: rate}, "listpets", []string{"query /query/tags/1"}, 400},
		{"a form array without explode is split on commas", call{method: "GET", target: shopBase + "/pets?ids=1,x", header: rate}, "listpets", []string{"query /query/ids/1"}, 400},
		{"a required header that is missing points at the header", call{method: "GET", target: shopBase + "/pets"}, "listpets", []string{"header /header/X-Rate"}, 400},
		{"a header of the wrong type points at the header", call{method: "GET", target: shopBase + "/pets", header: map[string]string{"X-Rate": "fast"}}, "listpets", []string{"header /header/X-Rate"}, 400},
		{"a cookie against its pattern points at the cookie", call{method: "GET", target: shopBase + "/pets", header: map[string]string{"X-Rate": "1", "Cookie": "session=NOTHEX"}}, "listpets", []string{"cookie /cookie/session"}, 400},
		{"a required cookie that is missing points at the cookie", call{method: "GET", target: shopBase + "/pets/mine", header: withKey}, "mypets", []string{"cookie /cookie/session"}, 400},
		{"a path parameter below its minimum points at the parameter", call{method: "DELETE", target: shopBase + "/pets/0", header: withKey}, "deletepet", []string{"path /path/id"}, 400},
		{"a path parameter that is no integer points at the parameter", call{method: "DELETE", target: shopBase + "/pets/abc", header: withKey}, "deletepet", []string{"path /path/id"}, 400},
		{"a literal path beats a template, so its own parameters apply", call{method: "GET", target: shopBase + "/pets/mine", header: map[string]string{"X-API-Key": "k", "Cookie": "session=x"}}, "mypets", nil, 0},
		{"parameters inside one segment are split on their literals", call{method: "GET", target: shopBase + "/files/report.png"}, "getfile", nil, 0},
		{"an escaped slash is a parameter's own, decoded", call{method: "GET", target: shopBase + "/files/a%2Fb.jpg"}, "getfile", nil, 0},
		{"a mixed segment's parameter is checked", call{method: "GET", target: shopBase + "/files/report.gif"}, "getfile", []string{"path /path/ext"}, 400},
		{"a valid JSON body passes", call{method: "POST", target: shopBase + "/pets", header: withKey, ctype: "application/json",
			body: `{"name":"rex","items":[{"name":"ball","qty":2}]}`}, "createpet", nil, 0},
		{"a nested body error points into the body", call{method: "POST", target: shopBase + "/pets", header: withKey, ctype: "application/json; charset=utf-8",
			body: `{"name":"rex","items":[{"qty":0}]}`}, "createpet", []string{"body /body/items/0/name", "body /body/items/0/qty"}, 400},
		{"a missing required body is reported", call{method: "POST", target: shopBase + "/pets", header: withKey, ctype: "application/json"}, "createpet",
			[]string{"body /body"}, 400},
		{"a body that is not JSON is reported without its bytes", call{method: "POST", target: shopBase + "/pets", header: withKey, ctype: "application/json", body: `{"name":`}, "createpet",
			[]string{"body /body"}, 400},
		{"a content type the operation does not accept is a 415", call{method: "POST", target: shopBase + "/pets", header: withKey, ctype: "text/plain", body: "rex"}, "createpet",
			[]string{"content_type /header/Content-Type"}, 415},
		{"allOf with oneOf: a valid circle passes", call{method: "PUT", target: shopBase + "/shapes", ctype: "application/json", body: `{"color":"red","kind":"circle","radius":2}`}, "putshape", nil, 0},
		{"allOf: a property of the first part is required", call{method: "PUT", target: shopBase + "/shapes", ctype: "application/json", body: `{"kind":"square","side":2}`}, "putshape",
			[]string{"body /body/color"}, 400},
		{"oneOf: a shape matching no alternative is one violation", call{method: "PUT", target: shopBase + "/shapes", ctype: "application/json", body: `{"color":"red","kind":"circle","radius":-1}`}, "putshape",
			[]string{"body /body"}, 400},
		{"a form body is decoded and checked", call{method: "POST", target: shopBase + "/forms", ctype: "application/x-www-form-urlencoded", body: "name=rex&age=3"}, "submitform", nil, 0},
		{"a form field against its schema points into the body", call{method: "POST", target: shopBase + "/forms", ctype: "application/x-www-form-urlencoded", body: "name=r&age=3"}, "submitform",
			[]string{"body /body/name"}, 400},
		{"a missing form field points at it", call{method: "POST", target: shopBase + "/forms", ctype: "application/x-www-form-urlencoded", body: "name=rex"}, "submitform",
			[]string{"body /body/age"}, 400},
		{"a security alternative's credential present passes", call{method: "POST", target: shopBase + "/pets", header: map[string]string{"Authorization": "Bearer x"}, ctype: "application/json",
			body: `{"name":"rex","items":[]}`}, "createpet", nil, 0},
		{"no credential of any alternative is a security violation", call{method: "POST", target: shopBase + "/pets", ctype: "application/json",
			body: `{"name":"rex","items":[]}`}, "createpet", []string{"security /header/X-API-Key"}, 400},
		{"an API key in the query counts as present", call{method: "GET", target: shopBase + "/pets/7?api_key=k"}, "getpet", nil, 0},
		{"an API key missing from the query is a security violation", call{method: "GET", target: shopBase + "/pets/7"}, "getpet", []string{"security /query/api_key"}, 400},
		{"HEAD is checked as its path's GET", call{method: "HEAD", target: shopBase + "/pets/7?api_key=k"}, "getpet", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.call.request()
			res := c.Request(r, body)
			if !res.Found || res.Operation != tt.op {
				t.Fatalf("found %v operation %q, want %q", res.Found, res.Operation, tt.op)
			}
			if got := where(res.Violations); !slices.Equal(got, tt.want) {
				t.Errorf("violations %q, want %q (%+v)", got, tt.want, res.Violations)
			}
			if res.Status != tt.status {
				t.Errorf("status %d, want %d", res.Status, tt.status)
			}
		})
	}
}

func TestContractRequestTellsUnknownPathsFromUnknownMethods(t *testing.T) {
	c := shopContract(t)
	for _, tt := range []struct {
		name, method, target string
		template             string
		status               int
	}{
		{"a path no template matches is a 404", "GET", shopBase + "/owners", "", 404},
		{"a path without the server's base path is a 404", "GET", "/pets", "", 404},
		{"a known path with a method it lacks is a 405", "PATCH", shopBase + "/pets/3", "/pets/{id}", 405},
		{"methods are case-sensitive: get is not GET", "get", shopBase + "/pets", "/pets", 405},
		{"the most specific path decides, even when a less specific one has the method", "DELETE", shopBase + "/pets/mine", "/pets/mine", 405},
		{"a trailing slash is a segment of its own", "GET", shopBase + "/pets/", "", 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := c.Request(httptest.NewRequest(tt.method, tt.target, nil), nil)
			if res.Found || res.Template != tt.template || res.Status != tt.status || len(res.Violations) != 0 {
				t.Errorf("got %+v, want template %q status %d", res, tt.template, tt.status)
			}
		})
	}
}

func TestContractRequestChecksAMultipartUpload(t *testing.T) {
	c := shopContract(t)
	form := func(title string, withFile bool) (string, []byte) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("title", title)
		if withFile {
			f, _ := w.CreateFormFile("file", "a.bin")
			_, _ = f.Write([]byte{0, 1, 2, 0xff})
		}
		_ = w.Close()
		return w.FormDataContentType(), buf.Bytes()
	}
	for _, tt := range []struct {
		name     string
		title    string
		withFile bool
		want     []string
	}{
		{"a file and a title pass", "cat", true, nil},
		{"a title over its length points at the part", "a very long title", true, []string{"body /body/title"}},
		{"a missing file part points at it", "cat", false, []string{"body /body/file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ct, body := form(tt.title, tt.withFile)
			r := httptest.NewRequest("POST", shopBase+"/uploads", nil)
			r.Header.Set("Content-Type", ct)
			res := c.Request(r, body)
			if got := where(res.Violations); !slices.Equal(got, tt.want) {
				t.Errorf("violations %q, want %q (%+v)", got, tt.want, res.Violations)
			}
		})
	}
}

func TestContractMessagesNeverCarryHeaderCookieOrBodyValues(t *testing.T) {
	c := shopContract(t)
	const secret = "s3cr3tv4lue"
	for _, cl := range []call{
		{method: "GET", target: shopBase + "/pets", header: map[string]string{"X-Rate": secret, "Cookie": "session=" + secret}},
		{method: "GET", target: shopBase + "/pets?limit=" + secret, header: map[string]string{"X-Rate": "1"}},
		{method: "POST", target: shopBase + "/pets", header: withKey, ctype: "application/json", body: `{"name":7,"tag":{"` + secret + `":1},"items":"` + secret + `"}`},
		{method: "POST", target: shopBase + "/pets", header: withKey, ctype: "application/json", body: `{"name":"` + secret},
		{method: "POST", target: shopBase + "/forms", ctype: "application/x-www-form-urlencoded", body: "name=r&age=" + secret},
	} {
		r, body := cl.request()
		res := c.Request(r, body)
		if len(res.Violations) == 0 {
			t.Errorf("%s %s: no violation", cl.method, cl.target)
		}
		for _, v := range res.Violations {
			if strings.Contains(v.Message, secret) || strings.Contains(v.Pointer, secret) {
				t.Errorf("violation carries the value: %+v", v)
			}
		}
	}
}

func TestContractRequestLeavesTheGatewaysRequestAlone(t *testing.T) {
	c := shopContract(t)
	r := httptest.NewRequest("POST", shopBase+"/pets", strings.NewReader("the gateway's own body"))
	r.Header.Set("X-API-Key", "k")
	r.Header.Set("Content-Type", "application/json")
	before := r.URL.String()
	res := c.Request(r, []byte(`{"name":"rex","items":[]}`))
	if len(res.Violations) != 0 {
		t.Fatalf("violations: %+v", res.Violations)
	}
	rest := new(bytes.Buffer)
	if _, err := rest.ReadFrom(r.Body); err != nil || rest.String() != "the gateway's own body" || r.URL.String() != before {
		t.Errorf("request changed: body %q url %q", rest.String(), r.URL.String())
	}
}

func TestContractRefusesADeeplyNestedBodyWithoutDecodingIt(t *testing.T) {
	c := shopContract(t)
	for _, tt := range []struct {
		name  string
		depth int
		want  []string
	}{
		{"a tree as deep as the limit is checked", MaxBodyNesting / 2, nil},
		{"a tree past the limit is one violation", 100_000, []string{"body /body"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Repeat(`{"children":[`, tt.depth) + strings.Repeat(`]}`, tt.depth)
			r := httptest.NewRequest("POST", shopBase+"/tree", nil)
			r.Header.Set("Content-Type", "application/json")
			res := c.Request(r, []byte(body))
			if got := where(res.Violations); !slices.Equal(got, tt.want) {
				t.Errorf("violations %q, want %q", got, tt.want)
			}
		})
	}
}

func TestContractResponse(t *testing.T) {
	c := shopContract(t)
	js := http.Header{"Content-Type": {"application/json"}}
	withHeaders := func(kv ...string) http.Header {
		h := js.Clone()
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	withCount := withHeaders("X-Total-Count", "2")
	for _, tt := range []struct {
		name   string
		op     string
		status int
		header http.Header
		body   string
		want   []string
	}{
		{"a declared status with a matching body passes", "createpet", 201, js, `{"id":1,"name":"rex","items":[]}`, nil},
		{"a required field missing points at it", "createpet", 201, js, `{"id":1,"items":[]}`, []string{"body /body/name"}},
		{"every error of a body is listed", "listpets", 200, withCount, `[{"id":"x","name":"a","items":[]},{"id":2,"items":[]}]`, []string{"body /body/0/id", "body /body/1/name"}},
		{"a required response header missing is reported", "listpets", 200, js, `[]`, []string{"header /header/X-Total-Count"}},
		{"declared headers that match pass", "listpets", 200, withHeaders("X-Total-Count", "3", "X-Tags", "cat,dog"), `[]`, nil},
		{"a header against its schema", "listpets", 200, withHeaders("X-Total-Count", "-1", "X-Tags", "cow"), `[]`, []string{"header /header/X-Tags/0", "header /header/X-Total-Count"}},
		{"a header that is not an integer", "listpets", 200, withHeaders("X-Total-Count", "many"), `[]`, []string{"header /header/X-Total-Count"}},
		{"an undeclared status is reported", "createpet", 500, js, `{}`, []string{"status /status"}},
		{"a status range covers its statuses", "createpet", 409, nil, "", nil},
		{"default covers what is not declared", "listpets", 503, http.Header{"Content-Type": {"application/problem+json"}}, `{"title":"down"}`, nil},
		{"an undeclared content type is reported", "createpet", 201, http.Header{"Content-Type": {"text/html"}}, `<p>`, []string{"content_type /header/Content-Type"}},
		{"a body that is not JSON is reported", "createpet", 201, js, `{"id":`, []string{"body /body"}},
		{"a response without body or content type is not checked", "getpet", 200, nil, "", nil},
		{"an unknown operation is not checked", "nope", 500, js, `{}`, nil},
		{"a redirect is not checked", "getpet", 304, nil, "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := where(c.Response(tt.op, tt.status, tt.header, []byte(tt.body)))
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations %q, want %q", got, tt.want)
			}
		})
	}
}

func TestContractIsCompiledOnceAndSharedByConcurrentCallers(t *testing.T) {
	data, _ := os.ReadFile("testdata/contract/shop.yaml")
	doc := load(t, string(data), Options{})
	var wg sync.WaitGroup
	got := make([]*Contract, 8)
	for i := range got {
		wg.Go(func() {
			c, err := doc.Contract()
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = c
			r := httptest.NewRequest("POST", "/api/v1/pets", nil)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-API-Key", "k")
			for range 50 {
				if res := c.Request(r, []byte(`{"name":"a","items":[{"name":"b"}]}`)); len(res.Violations) > 0 {
					t.Errorf("violations: %+v", res.Violations)
				}
				c.Response("createpet", 201, http.Header{"Content-Type": {"application/json"}}, []byte(`{"id":1,"name":"a","items":[]}`))
			}
		})
	}
	wg.Wait()
	for _, c := range got {
		if c != got[0] {
			t.Fatal("Contract compiled more than once")
		}
	}
}
