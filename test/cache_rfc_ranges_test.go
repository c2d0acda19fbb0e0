package test

// The cache answering range requests (RFC 9110 §14) from a stored whole
// response, through the real gateway and a real origin: what the client got,
// and how many requests reached the origin.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestCacheRFC9110Section14Ranges(t *testing.T) {
	gw, o := rfcGateway(t)
	rng := func(v string, more ...string) []string { return append([]string{"Range", v}, more...) }
	stored := answer(200, "Cache-Control", "max-age=60", "ETag", `"r1"`)
	runCacheCases(t, gw, o, "ranges", []cacheCase{
		{"a range of a stored response is a 206 from the cache",
			stored, []step{
				{Origin: 1, From: 1},
				{Header: rng("bytes=0-3"), Status: 206, Origin: 1, From: 1, CS: []string{"hit"}, Check: partOf(0, 3)},
			}},
		{"a suffix range and an open-ended one are answered from the cache",
			stored, []step{
				{Origin: 1, From: 1},
				{Header: rng("bytes=-5"), Status: 206, Origin: 1, CS: []string{"hit"}, Check: partOf(-5, -1)},
				{Header: rng("bytes=2-"), Status: 206, Origin: 1, CS: []string{"hit"}, Check: partOf(2, -1)},
			}},
		{"If-Range with the stored ETag gets the range; with another tag, the whole response",
			stored, []step{
				{Origin: 1, From: 1},
				{Header: rng("bytes=0-3", "If-Range", `"r1"`), Status: 206, Origin: 1, From: 1, CS: []string{"hit"}, Check: partOf(0, 3)},
				{Header: rng("bytes=0-3", "If-Range", `"r0"`), Status: 200, Origin: 1, From: 1, CS: []string{"hit"}, Check: headerIs("Content-Range", "")},
			}},
		{"two ranges are one multipart/byteranges answer from the cache",
			stored, []step{
				{Origin: 1, From: 1},
				{Header: rng("bytes=0-1,4-5"), Status: 206, Origin: 1, CS: []string{"hit"}, Check: func(t *testing.T, res response, _ *cacheOrigin, _ string) {
					if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/byteranges; boundary=") {
						t.Errorf("Content-Type %q, want multipart/byteranges", ct)
					}
				}},
			}},
		{"a range beyond the stored body is a 416 from the cache",
			stored, []step{
				{Origin: 1, From: 1},
				{Header: rng("bytes=5000-6000"), Status: 416, Origin: 1, CS: []string{"hit"}},
			}},
		{"a range of a stale response goes upstream, and its answer is not stored",
			validating(`"s"`, "", "Cache-Control", "max-age=60", "Age", "70"), []step{
				{Origin: 1, From: 1},
				{Header: rng("bytes=0-3"), Origin: 2, From: 2, CS: []string{"!hit", "!stored"}},
				{Origin: 3, From: 1, CS: []string{"fwd=stale"}},
			}},
		{"only-if-cached with a range nothing stored can answer is a 504, not a trip upstream",
			stored, []step{
				{Header: rng("bytes=0-3", "Cache-Control", "only-if-cached"), Status: 504, Origin: 0, CS: []string{"fwd=miss"}},
			}},
		{"only-if-cached on a target the cache never answers (a bare '?') is a 504 too",
			stored, []step{
				{Path: "?", Header: []string{"Cache-Control", "only-if-cached"}, Status: 504, Origin: 0, CS: []string{"fwd=miss"}},
			}},
		{"a request's no-cache sends its range upstream",
			stored, []step{
				{Origin: 1, From: 1},
				{Header: rng("bytes=0-3", "Cache-Control", "no-cache"), Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
	})
}

var contentRange = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

// partOf checks a 206 for the bytes first..last of the stored body, counted
// from its end when negative (-1 is the last byte): the Content-Range, and a
// body of that length and, where it is known, that place in the origin's
// answer, which begins "n=1 GET /ranges/N/r host=".
func partOf(first, last int) func(t *testing.T, res response, o *cacheOrigin, dir string) {
	return func(t *testing.T, res response, _ *cacheOrigin, dir string) {
		t.Helper()
		m := contentRange.FindStringSubmatch(res.Header.Get("Content-Range"))
		if m == nil {
			t.Fatalf("Content-Range %q, want bytes FIRST-LAST/SIZE", res.Header.Get("Content-Range"))
		}
		size, _ := strconv.Atoi(m[3])
		if first < 0 {
			first += size
		}
		if last < 0 {
			last += size
		}
		if want := fmt.Sprintf("bytes %d-%d/%d", first, last, size); m[0] != want {
			t.Errorf("Content-Range %q, want %q", m[0], want)
		}
		if len(res.Body) != last-first+1 {
			t.Errorf("body %q: %d bytes, want %d", res.Body, len(res.Body), last-first+1)
		}
		// The answer's start is known up to the gateway's own address.
		known := fmt.Sprintf("n=1 GET %sr host=", dir)
		for i := 0; i < len(res.Body) && first+i < len(known); i++ {
			if res.Body[i] != known[first+i] {
				t.Fatalf("body %q is not bytes %d-%d of %q...", res.Body, first, last, known)
			}
		}
	}
}
