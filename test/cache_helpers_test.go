package test

// The HTTP cache's end-to-end tests share what is in this file: an origin that
// counts what reaches it and answers from a script, a config with cache blocks,
// a Cache-Status (RFC 9211, an RFC 8941 list) parser, and a reader of labelled
// Prometheus series. They test the cache as its users are promised it works,
// from outside the process: the client's responses and the origin's counts.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// cacheWriteToken is the admin write token of every cache config.
const cacheWriteToken = "e2e-cache-write-token-0123456789"

// originScript answers one request; n is the number of requests the case's
// folder has received, this one included.
type originScript func(w http.ResponseWriter, r *http.Request, n int)

// seenRequest is what the origin received.
type seenRequest struct {
	Method, URI, Path string
	Header            http.Header
}

// cacheOrigin is an origin server that can be stopped and started on its
// address. Requests are grouped by case folder: the first two path segments
// ("/storing/3/…"); each folder has its script and its count.
type cacheOrigin struct {
	t  *testing.T
	in *restartable

	mu      sync.Mutex
	scripts map[string]originScript
	counts  map[string]int
	seen    map[string][]seenRequest
	release chan struct{} // closed at cleanup: scripts that block wait on it
}

func newCacheOrigin(t *testing.T) *cacheOrigin {
	o := &cacheOrigin{
		t: t, scripts: map[string]originScript{}, counts: map[string]int{},
		seen: map[string][]seenRequest{}, release: make(chan struct{}),
	}
	o.in = newRestartable(t, http.HandlerFunc(o.serve))
	// Registered after newRestartable's cleanup, so it runs first: blocked
	// handlers return before the server is closed.
	t.Cleanup(func() { close(o.release) })
	return o
}

// Addr is the origin's host:port.
func (o *cacheOrigin) Addr() string { return o.in.addr }

// folder is the case folder of a path: "/a/b/c" → "/a/b/".
func folder(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	if len(parts) < 2 {
		return path
	}
	return "/" + parts[0] + "/" + parts[1] + "/"
}

// script sets the script of the case folder dir ("/storing/3/").
func (o *cacheOrigin) script(dir string, s originScript) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scripts[dir] = s
}

// count is the number of requests the folder received.
func (o *cacheOrigin) count(dir string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts[dir]
}

// requests returns what the folder received, in order.
func (o *cacheOrigin) requests(dir string) []seenRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.seen[dir])
}

// last is the folder's latest request (the zero value if none).
func (o *cacheOrigin) last(dir string) seenRequest {
	rs := o.requests(dir)
	if len(rs) == 0 {
		return seenRequest{}
	}
	return rs[len(rs)-1]
}

func (o *cacheOrigin) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.UserAgent(), "bulwark-catalog/") {
		http.NotFound(w, r)
		return
	}
	dir := folder(r.URL.Path)
	o.mu.Lock()
	o.counts[dir]++
	n := o.counts[dir]
	o.seen[dir] = append(o.seen[dir], seenRequest{Method: r.Method, URI: r.RequestURI, Path: r.URL.Path, Header: r.Header.Clone()})
	s := o.scripts[dir]
	o.mu.Unlock()
	if s == nil {
		s = answer(200, "Cache-Control", "max-age=60")
	}
	s(w, r, n)
}

// originBody is the body of the origin's n-th answer in a folder: which answer
// it was, to which request, for which host. Tests tell responses apart by it.
func originBody(r *http.Request, n int) string {
	host := r.Header.Get("X-Forwarded-Host")
	if host == "" {
		host = r.Host
	}
	return fmt.Sprintf("n=%d %s %s host=%s", n, r.Method, r.RequestURI, host)
}

// answer is a script that always answers status with the header pairs and
// originBody.
func answer(status int, header ...string) originScript {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, r, n, status, header...)
	}
}

// reply writes status, the header pairs and originBody.
func reply(w http.ResponseWriter, r *http.Request, n, status int, header ...string) {
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Add(header[i], header[i+1])
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(status)
	if status != http.StatusNotModified && status != http.StatusNoContent {
		fmt.Fprint(w, originBody(r, n))
	}
}

// byNth answers the first request with first and every later one with later.
func byNth(first, later originScript) originScript {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			first(w, r, n)
			return
		}
		later(w, r, n)
	}
}

// validating answers 304 (with header) when the request's If-None-Match names
// etag or its If-Modified-Since is at or after lastModified, else 200.
func validating(etag, lastModified string, header ...string) originScript {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		h := slices.Clone(header)
		if etag != "" {
			h = append(h, "ETag", etag)
		}
		if lastModified != "" {
			h = append(h, "Last-Modified", lastModified)
		}
		if inm := r.Header.Get("If-None-Match"); inm != "" && etag != "" {
			if strings.Contains(inm, strings.TrimPrefix(etag, "W/")) || inm == "*" {
				reply(w, r, n, http.StatusNotModified, h...)
				return
			}
		} else if ims := r.Header.Get("If-Modified-Since"); ims != "" && lastModified != "" {
			a, err1 := http.ParseTime(ims)
			b, err2 := http.ParseTime(lastModified)
			if err1 == nil && err2 == nil && !a.Before(b) {
				reply(w, r, n, http.StatusNotModified, h...)
				return
			}
		}
		reply(w, r, n, 200, h...)
	}
}

// httpDate is now+offset as an HTTP date.
func httpDate(offset time.Duration) string {
	return time.Now().Add(offset).UTC().Format(http.TimeFormat)
}

// cacheService is one service of a cache config: its policy block (YAML,
// without indentation) and the routes that lead to it.
type cacheService struct {
	Name   string
	Policy string
	Routes []cacheRoute
	Addr   string // the service's instance when not the config's origin
}

// cacheRoute is a route prefix and, optionally, its own cache: block (a YAML
// flow mapping, e.g. "{enabled: true, default_ttl: 60s}").
type cacheRoute struct {
	Path, Name, Cache string
}

// renderCacheConfig is a config with every service on the origin at addr.
// The defaults turn retries, breakers and ejection off, so that the origin's
// counts are the client's requests; a service turns them back on itself.
func renderCacheConfig(addr string, services ...cacheService) func(p ports) string {
	return func(p ports) string {
		var b strings.Builder
		fmt.Fprintf(&b, "listen:\n  http: %q\n", p.HTTP)
		fmt.Fprintf(&b, "admin:\n  listen: %q\n  token: %q\n  write_token: %q\n", p.Admin, adminToken, cacheWriteToken)
		b.WriteString("log:\n  level: info\n  access_log: false\n")
		b.WriteString("portal:\n  path: \"\"\n")
		b.WriteString("defaults:\n  retries: {attempts: 1}\n  breaker: {failures: 0}\n  outlier: {consecutive_failures: 0}\n")
		b.WriteString("discovery:\n  static:\n")
		for _, s := range services {
			a := addr
			if s.Addr != "" {
				a = s.Addr
			}
			fmt.Fprintf(&b, "    - service: %s\n      instances: [%q]\n", s.Name, a)
		}
		b.WriteString("services:\n")
		for _, s := range services {
			fmt.Fprintf(&b, "  %s:\n", s.Name)
			for _, line := range strings.Split(strings.TrimRight(s.Policy, "\n"), "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
		b.WriteString("routes:\n")
		for _, s := range services {
			for _, r := range s.Routes {
				fmt.Fprintf(&b, "  - path: %s\n    service: %s\n", r.Path, s.Name)
				if r.Name != "" {
					fmt.Fprintf(&b, "    name: %s\n", r.Name)
				}
				if r.Cache != "" {
					fmt.Fprintf(&b, "    cache: %s\n", r.Cache)
				}
			}
		}
		return b.String()
	}
}

// cacheOn is the policy of a service with the cache on and extra cache keys
// (YAML lines, e.g. "serve_stale_on_error: 30s").
func cacheOn(extra ...string) string {
	s := "cache:\n  enabled: true\n"
	for _, e := range extra {
		s += "  " + e + "\n"
	}
	return s
}

// csMember is one member of a Cache-Status list: the cache's name and its parameters.
type csMember struct {
	Name   string
	Params map[string]string // a bare parameter (a true boolean) is "?1"
}

// has says whether the parameter is present.
func (m csMember) has(key string) bool { _, ok := m.Params[key]; return ok }

// int reads an integer parameter.
func (m csMember) int(key string) (int, bool) {
	v, ok := m.Params[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

func (m csMember) String() string {
	keys := make([]string, 0, len(m.Params))
	for k := range m.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := m.Name
	for _, k := range keys {
		s += "; " + k + "=" + m.Params[k]
	}
	return s
}

// splitOutsideQuotes splits s at sep where sep is not inside an sf-string.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	inQ, esc, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case inQ && c == '\\':
			esc = true
		case c == '"':
			inQ = !inQ
		case !inQ && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquote reads an sf-string or returns a bare item as it is.
func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		if u, err := strconv.Unquote(v); err == nil {
			return u
		}
		return v[1 : len(v)-1]
	}
	return v
}

// parseCacheStatus reads every Cache-Status field line as one RFC 8941 list.
func parseCacheStatus(h http.Header) []csMember {
	joined := strings.Join(h.Values("Cache-Status"), ",")
	if strings.TrimSpace(joined) == "" {
		return nil
	}
	var out []csMember
	for _, member := range splitOutsideQuotes(joined, ',') {
		parts := splitOutsideQuotes(member, ';')
		m := csMember{Name: unquote(parts[0]), Params: map[string]string{}}
		for _, p := range parts[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok {
				v = "?1"
			}
			m.Params[strings.TrimSpace(k)] = unquote(v)
		}
		out = append(out, m)
	}
	return out
}

// bulwarkStatus is the gateway's member of the response's Cache-Status, and
// whether there was one. The gateway is the cache nearest the client, so its
// member must be the last one.
func bulwarkStatus(h http.Header) (csMember, bool) {
	ms := parseCacheStatus(h)
	if len(ms) == 0 || ms[len(ms)-1].Name != "bulwark" {
		return csMember{}, false
	}
	return ms[len(ms)-1], true
}

// checkCS checks the gateway's Cache-Status member against conditions: "key"
// (present), "!key" (absent), "key=value", "key<=N" or "key>=N" (integers).
func checkCS(t *testing.T, h http.Header, conds ...string) {
	t.Helper()
	if len(conds) == 0 {
		return
	}
	m, ok := bulwarkStatus(h)
	if !ok {
		t.Errorf("no Cache-Status member named bulwark as the last member; Cache-Status: %q", h.Values("Cache-Status"))
		return
	}
	for _, c := range conds {
		switch {
		case strings.HasPrefix(c, "!"):
			if m.has(c[1:]) {
				t.Errorf("Cache-Status %q has %s; want it absent", m, c[1:])
			}
		case strings.Contains(c, "<="), strings.Contains(c, ">="):
			op := "<="
			if strings.Contains(c, ">=") {
				op = ">="
			}
			k, v, _ := strings.Cut(c, op)
			want, _ := strconv.Atoi(v)
			got, ok := m.int(k)
			if !ok || (op == "<=" && got > want) || (op == ">=" && got < want) {
				t.Errorf("Cache-Status %q: want %s", m, c)
			}
		case strings.Contains(c, "="):
			k, v, _ := strings.Cut(c, "=")
			if got, ok := m.Params[k]; !ok || !strings.EqualFold(got, v) {
				t.Errorf("Cache-Status %q: want %s", m, c)
			}
		default:
			if !m.has(c) {
				t.Errorf("Cache-Status %q: want %s", m, c)
			}
		}
	}
}

// isHit says whether the gateway's Cache-Status member says hit.
func isHit(h http.Header) bool {
	m, ok := bulwarkStatus(h)
	return ok && m.has("hit")
}

// labelledMetric sums the samples of name whose labels include every given
// name=value pair, and says whether any matched.
func labelledMetric(exposition, name string, labels ...string) (float64, bool) {
	var sum float64
	found := false
	for _, line := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		end := strings.LastIndex(line, "}")
		if end < 0 {
			continue
		}
		set := line[len(name)+1 : end]
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(set, labels[i]+"=\""+labels[i+1]+"\"") {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		f := strings.Fields(line[end+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

// metrics reads the admin listener's /metrics.
func metrics(t *testing.T, c *http.Client, gw *proc) string {
	t.Helper()
	res := do(t, c, "GET", gw.adminURL("/metrics"), nil)
	if res.Status != 200 {
		t.Fatalf("/metrics: %d %s", res.Status, res.Body)
	}
	return res.Body
}

// purge posts a purge request with the admin token and returns the status and
// the number purged.
func purge(t *testing.T, c *http.Client, gw *proc, body string, auth string) (int, int) {
	t.Helper()
	header := []string{"Content-Type", "application/json"}
	if auth != "" {
		header = append(header, "Authorization", "Bearer "+auth)
	}
	res := do(t, c, "POST", gw.adminURL("/api/v1/caches/purge"), strings.NewReader(body), header...)
	var out struct {
		Purged int `json:"purged"`
	}
	if res.Status == 200 {
		if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
			t.Errorf("purge %s answered %q: %v", body, res.Body, err)
		}
	}
	return res.Status, out.Purged
}

// step is one client request of a case and what must hold after it.
type step struct {
	Method string   // GET when empty
	Path   string   // relative to the case folder ("r" when empty); "?a=1" is appended to "r"
	Header []string // name, value pairs
	Status int      // 200 when 0
	Origin int      // the folder's origin count after the step
	From   int      // the body is the origin's From-th answer (0: not checked)
	CS     []string // conditions on the gateway's Cache-Status member (checkCS)
	// Eventually polls (bounded) until the origin count reaches Origin, for
	// background requests.
	Eventually bool
	// Until repeats the request (bounded, 200 ms apart) until its CS
	// conditions hold, for a response that must go stale on its own.
	Until bool
	Check func(t *testing.T, res response, o *cacheOrigin, dir string)
}

// cacheCase is a table row: an origin script for the case's folder and the steps.
type cacheCase struct {
	Name   string
	Script originScript
	Steps  []step
}

// runCacheCases runs each case in its own folder, /section/i/, through gw.
func runCacheCases(t *testing.T, gw *proc, o *cacheOrigin, section string, cases []cacheCase) {
	t.Helper()
	c := newClient(t)
	for i, tc := range cases {
		dir := fmt.Sprintf("/%s/%d/", section, i+1)
		o.script(dir, tc.Script)
		t.Run(tc.Name, func(t *testing.T) {
			for j, s := range tc.Steps {
				if !runStep(t, c, gw, o, dir, j+1, s) {
					return
				}
			}
		})
	}
}

// runStep sends one step's request and checks it; false stops the case.
func runStep(t *testing.T, c *http.Client, gw *proc, o *cacheOrigin, dir string, j int, s step) bool {
	t.Helper()
	method := s.Method
	if method == "" {
		method = "GET"
	}
	path := s.Path
	if path == "" || strings.HasPrefix(path, "?") {
		path = "r" + path
	}
	url := gw.url(dir + path)
	var res response
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		res, err = tryDo(c, method, url, nil, s.Header...)
		if err != nil {
			t.Errorf("step %d: %s %s: %v", j, method, url, err)
			return false
		}
		if !s.Until || csHolds(res.Header, s.CS) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	want := s.Status
	if want == 0 {
		want = 200
	}
	ok := true
	if res.Status != want {
		t.Errorf("step %d: %s %s: status %d, want %d; body %q; Cache-Status %q", j, method, dir+path, res.Status, want, res.Body, res.Header.Values("Cache-Status"))
		ok = false
	}
	if s.Eventually {
		eventually(5*time.Second, func() bool { return o.count(dir) >= s.Origin })
	}
	if got := o.count(dir); got != s.Origin {
		t.Errorf("step %d: %s %s: the origin has received %d requests, want %d (Cache-Status %q)", j, method, dir+path, got, s.Origin, res.Header.Values("Cache-Status"))
		ok = false
	}
	if s.From > 0 && !strings.HasPrefix(res.Body, fmt.Sprintf("n=%d ", s.From)) {
		t.Errorf("step %d: %s %s: body %q, want the origin's answer n=%d", j, method, dir+path, res.Body, s.From)
		ok = false
	}
	if len(s.CS) > 0 {
		t.Run(fmt.Sprintf("step %d Cache-Status", j), func(t *testing.T) { checkCS(t, res.Header, s.CS...) })
	}
	if isHit(res.Header) {
		if age, err := strconv.Atoi(res.Header.Get("Age")); err != nil || age < 0 {
			t.Errorf("step %d: a hit without a valid Age header: %q", j, res.Header.Get("Age"))
		}
	}
	if s.Check != nil {
		s.Check(t, res, o, dir)
	}
	return ok
}

// csHolds says whether every condition of checkCS holds, without failing.
func csHolds(h http.Header, conds []string) bool {
	m, ok := bulwarkStatus(h)
	if !ok {
		return false
	}
	for _, c := range conds {
		switch {
		case strings.HasPrefix(c, "!"):
			if m.has(c[1:]) {
				return false
			}
		case strings.Contains(c, "<=") || strings.Contains(c, ">="):
			// Numeric conditions are checked afterwards only.
		case strings.Contains(c, "="):
			k, v, _ := strings.Cut(c, "=")
			if !strings.EqualFold(m.Params[k], v) {
				return false
			}
		default:
			if !m.has(c) {
				return false
			}
		}
	}
	return true
}

// headerIs is a Check that the response's header name is value ("" means absent).
func headerIs(name, value string) func(*testing.T, response, *cacheOrigin, string) {
	return func(t *testing.T, res response, _ *cacheOrigin, _ string) {
		t.Helper()
		if got := res.Header.Get(name); got != value {
			t.Errorf("%s: %q, want %q", name, got, value)
		}
	}
}

// originSaw is a Check that the origin's last request carried header name = value.
func originSaw(name, value string) func(*testing.T, response, *cacheOrigin, string) {
	return func(t *testing.T, _ response, o *cacheOrigin, dir string) {
		t.Helper()
		if got := o.last(dir).Header.Get(name); got != value {
			t.Errorf("the origin's last request had %s %q, want %q", name, got, value)
		}
	}
}

// checks runs several Checks.
func checks(fs ...func(*testing.T, response, *cacheOrigin, string)) func(*testing.T, response, *cacheOrigin, string) {
	return func(t *testing.T, res response, o *cacheOrigin, dir string) {
		t.Helper()
		for _, f := range fs {
			f(t, res, o, dir)
		}
	}
}
