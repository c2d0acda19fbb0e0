package gateway

import "net/http"

// The breakers' view is read with the admin token; forcing one needs the
// write token, a separate secret, so that a dashboard which may read cannot
// take a service out of traffic.

// breakersView lists every service's breaker (services with breakers off are
// left out), sorted by service.
func (g *Gateway) breakersView() []BreakerView {
	st := g.state.Load()
	out := []BreakerView{}
	for _, name := range serviceNames(st.services) {
		if b := st.service(name).guard.breaker; b != nil {
			out = append(out, b.view())
		}
	}
	return out
}

// forceBreaker handles POST /api/v1/breakers/{service}?force=open|closed|auto.
func (g *Gateway) forceBreaker(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("service")
	s := g.state.Load().service(name)
	if s == nil || s.guard.breaker == nil {
		writeProblem(w, http.StatusNotFound, "no service "+name+" with a circuit breaker", name, "")
		return
	}
	modes := map[string]int32{"open": forceOpen, "closed": forceClosed, "auto": forceNone}
	force := r.URL.Query().Get("force")
	mode, ok := modes[force]
	if !ok {
		writeProblem(w, http.StatusBadRequest, "force must be open, closed or auto", name, "")
		return
	}
	b := s.guard.breaker
	if prev := b.forced.Swap(mode); prev != mode {
		g.log.Warn("circuit breaker forced through the admin API", "service", name, "force", force,
			"remote", r.RemoteAddr)
	}
	writeJSON(w, b.view())
}
