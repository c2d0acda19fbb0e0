package labels

import (
	"fmt"
	"strings"
)

// fabioRoute parses the part of a Fabio tag after "urlprefix-": "[host]/path"
// and options, so Fabio users switch without retagging. strip= is honoured
// when it strips the whole route prefix, as bulwark's strip-prefix does;
// other options change what Fabio does (proto, tlsskipverify, allow/deny,
// auth) and ignoring them could expose a service or send it the wrong
// protocol, so a route with them is skipped instead.
func fabioRoute(spec string) (Route, error) {
	fields := strings.Fields(spec)
	if len(fields) == 0 {
		return Route{}, fmt.Errorf("empty route")
	}
	r := Route{Path: "/"}
	hostPath := fields[0]
	if i := strings.IndexByte(hostPath, '/'); i > 0 {
		r.Host, r.Path = strings.ToLower(hostPath[:i]), hostPath[i:]
	} else if i < 0 {
		r.Host = strings.ToLower(hostPath)
	} else {
		r.Path = hostPath
	}
	if r.Host != "" {
		if err := checkHost(r.Host); err != nil {
			return Route{}, fmt.Errorf("host: %w", err)
		}
	}
	if err := checkPath(r.Path); err != nil {
		return Route{}, err
	}
	for _, opt := range fields[1:] {
		key, val, _ := strings.Cut(opt, "=")
		if key != "strip" {
			return Route{}, fmt.Errorf("option %q is not supported by bulwark", key)
		}
		if strings.TrimSuffix(val, "/") != strings.TrimSuffix(r.Path, "/") {
			return Route{}, fmt.Errorf("strip=%s: bulwark strips exactly the route's path (%s)", val, r.Path)
		}
		r.StripPrefix = true
	}
	return r, nil
}
