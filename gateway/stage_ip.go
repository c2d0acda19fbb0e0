package gateway

import (
	"net/http"
	"net/netip"
)

// ipStage refuses clients outside a route's ip.allow or inside its ip.deny
// with 403, before authentication spends anything on them. The client is
// the real one: the peer, or, behind a trusted proxy, the address that proxy
// appended to X-Forwarded-For (clientIP), so a client cannot name itself
// into an allow list with a header of its own.
type ipStage struct{ g *Gateway }

func (s ipStage) request(_ http.ResponseWriter, r *http.Request, ex *exchange) error {
	a := s.g.admission(ex)
	if len(a.allow) == 0 && len(a.deny) == 0 {
		return nil
	}
	ip, err := netip.ParseAddr(clientIP(r, ex.trusted))
	if err != nil {
		// A peer that is not an IP address (a Unix socket) matches no CIDR:
		// refused where a list allows, passed where a list only denies.
		ip = netip.Addr{}
	}
	ip = ip.Unmap() // ::ffff:10.0.0.1 is 10.0.0.1, as 10.0.0.0/8 means it
	if inAny(a.deny, ip) || (len(a.allow) > 0 && !inAny(a.allow, ip)) {
		s.g.admitMetrics.ipRefused.WithLabelValues(ex.route.Service).Inc()
		return &AdmissionError{Kind: ErrForbidden, Reason: "ip", Detail: "the client's address may not call this route"}
	}
	return nil
}

// inAny reports whether ip is in one of the prefixes.
func inAny(prefixes []netip.Prefix, ip netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// parsePrefixes reads ip.allow / ip.deny: CIDRs, or addresses as a prefix of
// one. Config validation refused anything else; a stranger is skipped.
func parsePrefixes(items []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(items))
	for _, s := range items {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}
