package routing

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// entry is the Entry the tests build: nothing attached.
type entry = Entry[struct{}]

// table is the Table the tests build.
type table = Table[struct{}]

// fileTable is the table of routes given as the file's.
func fileTable(prev *table, routes []Route) (*table, Delta[struct{}]) {
	return Build(prev, Source{File: routes}, Dirty{File: true})
}

// referenceMatch is the route table's contract written the slow, obvious way:
// sort every route by specificity (stable, so ties keep the given order) and
// take the first that matches the request's host, path, headers and method.
// When none does but one matches all but the method, the answer is 405.
func referenceMatch(routes []Route, host, path, method string, headers map[string]string) (string, error) {
	compiled := make([]*entry, 0, len(routes))
	for _, r := range routes {
		compiled = append(compiled, compile[struct{}](r))
	}
	slices.SortStableFunc(compiled, specificity)
	hostOK := func(pattern string) bool {
		if pattern == "" {
			return true
		}
		if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
			return len(host) > len(suffix) && strings.HasSuffix(host, suffix) && !strings.Contains(host[:len(host)-len(suffix)], ".")
		}
		return host == pattern
	}
	mismatch := false
	for _, rt := range compiled {
		if !hostOK(rt.Host) || !HasPathPrefix(path, rt.Prefix) {
			continue
		}
		ok := true
		for k, v := range rt.Headers {
			if headers[k] != v {
				ok = false
			}
		}
		if !ok {
			continue
		}
		if len(rt.Methods) > 0 && !slices.Contains(rt.Methods, method) {
			mismatch = true
			continue
		}
		return rt.Name, nil
	}
	if mismatch {
		return "", ErrMethodNotAllowed
	}
	return "", ErrNoRoute
}

var (
	tableHosts   = []string{"", "", "a.example.com", "B.example.com", "*.example.com", "*.a.example.com"}
	tablePaths   = []string{"/", "", "/a", "/a/", "/a/b", "/ab", "/b", "/a/b/c", "/c"}
	tableMethods = [][]string{nil, nil, {"GET"}, {"POST"}, {"GET", "HEAD"}}
)

func randomRoutes(rng *rand.Rand, n int) []Route {
	var out []Route
	for i := range n {
		r := Route{
			Host:    tableHosts[rng.IntN(len(tableHosts))],
			Path:    tablePaths[rng.IntN(len(tablePaths))],
			Methods: tableMethods[rng.IntN(len(tableMethods))],
			Service: fmt.Sprintf("s%d", rng.IntN(4)),
		}
		if rng.IntN(4) == 0 {
			r.Headers = map[string]string{"X-Shard": fmt.Sprint(rng.IntN(2))}
		}
		if rng.IntN(3) == 0 {
			r.Name = fmt.Sprintf("r%d", i) // named, so equal routes are told apart
		}
		out = append(out, r)
	}
	return out
}

// TestTableMatchesTheReference checks the bucketed table, built whole and
// rebuilt from a previous table (reusing its unchanged buckets), against
// referenceMatch on random route sets and requests.
func TestTableMatchesTheReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	reqHosts := []string{"a.example.com", "A.EXAMPLE.COM", "b.example.com", "x.a.example.com", "y.x.a.example.com", "example.com", "other.test", "a.example.com:8080"}
	reqPaths := []string{"/", "/a", "/a/", "/a/b", "/a/bc", "/ab", "/ab/c", "/b/x", "/a/b/c/d", "/c", "/z"}
	for round := range 300 {
		before := randomRoutes(rng, 1+rng.IntN(12))
		after := slices.Clone(before)
		// Change a few: drop, add, edit.
		for range 1 + rng.IntN(3) {
			switch i := rng.IntN(len(after) + 1); {
			case i == len(after):
				after = append(after, randomRoutes(rng, 1)...)
			case rng.IntN(2) == 0:
				after = slices.Delete(after, i, i+1)
			default:
				after[i] = randomRoutes(rng, 1)[0]
			}
		}
		old, _ := fileTable(nil, before)
		rebuilt, _ := fileTable(old, after)
		whole, _ := fileTable(nil, after)
		for name, tbl := range map[string]*table{"whole": whole, "rebuilt": rebuilt} {
			for range 40 {
				host := reqHosts[rng.IntN(len(reqHosts))]
				path := reqPaths[rng.IntN(len(reqPaths))]
				method := []string{"GET", "POST", "HEAD", "DELETE"}[rng.IntN(4)]
				shard := fmt.Sprint(rng.IntN(3))
				r := httptest.NewRequest(method, "http://"+host+path, nil)
				r.Header.Set("X-Shard", shard)
				want, wantErr := referenceMatch(after, strings.ToLower(requestHost(r)), path, method, map[string]string{"X-Shard": shard})
				got, err := tbl.Match(r)
				gotName := ""
				if got != nil {
					gotName = got.Name
				}
				if gotName != want || err != wantErr {
					t.Fatalf("round %d (%s table): %s %s%s: got %q %v, want %q %v\nroutes: %+v", round, name, method, host, path, gotName, err, want, wantErr, after)
				}
			}
		}
	}
}

// BenchmarkMatch matches a request against tables of n label-style routes
// (one path prefix per service), next to the baseline of one gorilla/mux
// router holding every route, most specific first: the table before it was
// split into buckets.
func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		var routes []Route
		for i := range n {
			routes = append(routes, Route{Path: fmt.Sprintf("/svc-%d", i), Service: fmt.Sprintf("svc-%d", i)})
		}
		r := httptest.NewRequest("GET", fmt.Sprintf("http://gw.test/svc-%d/items/1", n/2), nil)
		tbl, _ := fileTable(nil, routes)
		b.Run(fmt.Sprintf("buckets/routes=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := tbl.Match(r); err != nil {
					b.Fatal(err)
				}
			}
		})
		flat := mux.NewRouter()
		compiled := make([]*entry, 0, n)
		for _, rt := range routes {
			compiled = append(compiled, compile[struct{}](rt))
		}
		slices.SortStableFunc(compiled, specificity)
		for _, rt := range compiled {
			flat.NewRoute().MatcherFunc(prefixMatcher(rt.Prefix)).Handler(entryHandler[struct{}]{rt})
		}
		b.Run(fmt.Sprintf("one-mux/routes=%d", n), func(b *testing.B) {
			for b.Loop() {
				var m mux.RouteMatch
				if !flat.Match(r, &m) {
					b.Fatal("no match")
				}
			}
		})
	}
}
