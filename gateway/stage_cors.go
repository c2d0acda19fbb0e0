package gateway

import (
	"net/http"
	"strings"

	"github.com/rs/cors"

	"github.com/bulwark-gw/bulwark/policies"
)

// corsStage answers cross-origin requests for routes whose policy lists
// cors.origins, with github.com/rs/cors (the CORS handler most Go servers
// use; the Fetch standard's rules are subtle enough that a hand-written
// copy would need a differential test of its own). It comes first of the
// admission stages: a preflight carries no credentials (browsers send none),
// so it is answered here, 204 with the allowed methods and headers, and never
// reaches authentication or the upstream. An actual request gets its
// Access-Control-Allow-* headers and goes on; the upstream's own are dropped
// from its response (corsStage.response), so the gateway's rules are the
// only ones a browser sees.
type corsStage struct{ g *Gateway }

func (s corsStage) request(w http.ResponseWriter, r *http.Request, ex *exchange) error {
	c := s.g.admission(ex).cors
	if c == nil {
		return nil
	}
	c.HandlerFunc(w, r)
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		s.g.admitMetrics.preflights.WithLabelValues(ex.route.Service).Inc()
		return errAnswered
	}
	return nil
}

// response drops the upstream's CORS headers where the gateway answers CORS.
func (s corsStage) response(res *http.Response, ex *exchange) error {
	if ex.adm == nil || ex.adm.cors == nil {
		return nil
	}
	for name := range res.Header {
		if strings.HasPrefix(name, "Access-Control-") {
			delete(res.Header, name)
		}
	}
	return nil
}

// newCORS builds the CORS handler of a policy, or nil when it lists no
// origins. Config validation has refused origin * with credentials.
func newCORS(p *policies.Policy) *cors.Cors {
	origins := corsOrigins.Of(p).Items()
	if len(origins) == 0 {
		return nil
	}
	maxAge := int(corsMaxAge.Of(p).Seconds()) // 0: rs/cors sends none
	return cors.New(cors.Options{
		AllowedOrigins:       origins,
		AllowedMethods:       corsMethods.Of(p).Items(),
		AllowedHeaders:       corsHeaders.Of(p).Items(),
		ExposedHeaders:       corsExpose.Of(p).Items(),
		AllowCredentials:     corsCredentials.Of(p),
		MaxAge:               maxAge,
		OptionsSuccessStatus: http.StatusNoContent,
	})
}
