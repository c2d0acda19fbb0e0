package httpcache

import (
	"net/http"
	"net/url"
	"strings"
)

// Delete removes every variant stored under key and reports how many.
func (s *Store) Delete(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteLocked(key)
}

func (s *Store) deleteLocked(key string) int {
	v, ok := s.cache.Invalidate(key)
	if !ok {
		return 0
	}
	return len(v.entries)
}

// PurgePrefix removes every entry whose key starts with prefix, e.g.
// "GET https://example.com/static/", and reports how many. It walks the
// whole cache: an admin operation, not a request-path one.
func (s *Store) PurgePrefix(prefix string) int {
	var keys []string
	for k := range s.cache.Keys() {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range keys {
		n += s.deleteLocked(k)
	}
	return n
}

// PurgeTag removes every entry carrying the surrogate key tag and reports
// how many; other variants under the same keys stay.
func (s *Store) PurgeTag(tag string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for key := range s.tags[tag] {
		cur, ok := s.cache.GetIfPresent(key)
		if !ok {
			continue
		}
		next := &variants{}
		for _, e := range cur.entries {
			if hasString(e.Tags, tag) {
				n++
				continue
			}
			next.entries = append(next.entries, e)
			next.weight += e.Weight()
		}
		if len(next.entries) == 0 {
			s.cache.Invalidate(key)
		} else {
			s.cache.Set(key, next)
		}
	}
	delete(s.tags, tag)
	return n
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unsafeMethod reports methods that are not safe (RFC 9110 §9.2.1).
func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// InvalidateAfter applies RFC 9111 §4.4 to a response that went through
// the gateway: after a non-error (2xx or 3xx) response to an unsafe
// method, the stored responses for the target URI are removed (MUST), and
// those for the Location and Content-Location URIs too when they have the
// request's host (a cache MUST NOT invalidate other hosts, which would
// allow denial of service). scheme, host and prefix are those the request's
// key was built with (Key, Based): the ones its upstream was told. It
// reports how many entries were removed.
func (s *Store) InvalidateAfter(scheme, host, prefix string, req *http.Request, res *http.Response) int {
	if !unsafeMethod(req.Method) || res.StatusCode < 200 || res.StatusCode >= 400 {
		return 0
	}
	base := &url.URL{Scheme: scheme, Host: host, Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.deleteLocked(Based(Key(http.MethodGet, scheme, host, base.EscapedPath(), base.RawQuery), prefix))
	for _, f := range []string{"Location", "Content-Location"} {
		v := res.Header.Get(f)
		if v == "" {
			continue
		}
		u, err := base.Parse(v)
		if err != nil || !strings.EqualFold(u.Scheme, scheme) ||
			!strings.EqualFold(dropDefaultPort(scheme, strings.ToLower(u.Host)), dropDefaultPort(scheme, strings.ToLower(host))) {
			continue
		}
		n += s.deleteLocked(Based(Key(http.MethodGet, scheme, u.Host, u.EscapedPath(), u.RawQuery), prefix))
	}
	return n
}
