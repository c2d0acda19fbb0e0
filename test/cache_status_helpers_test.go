package test

// Reading what the gateway says about its cache: Cache-Status as an RFC 8941
// list, labelled metrics, purges, and the step runner of the RFC tables.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

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
	// conditions hold and its answer is From's, for a response that must
	// go stale, or be refreshed, on its own.
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
		// Until waits for the answer too, not only its Cache-Status: a
		// background refresh is stored a moment after the origin answered
		// it, and a request in between still (rightly) gets the stale one.
		if !s.Until || (csHolds(res.Header, s.CS) && (s.From == 0 || strings.HasPrefix(res.Body, fmt.Sprintf("n=%d ", s.From)))) ||
			time.Now().After(deadline) {
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
