package gateway

import "github.com/prometheus/client_golang/prometheus"

// contractMetrics count traffic against the services' documents.
type contractMetrics struct {
	requests   *prometheus.CounterVec // service, result
	violations *prometheus.CounterVec // service, direction, kind
	responses  *prometheus.CounterVec // service, result
}

func newContractMetrics(reg prometheus.Registerer) *contractMetrics {
	m := &contractMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_contract_requests_total",
			Help: "Requests checked against their service's OpenAPI document (validate.requests), by result: valid, invalid, undocumented (no operation matches), unchecked (a body larger than validate.max_body_bytes).",
		}, []string{"service", "result"}),
		violations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_contract_violations_total",
			Help: "Disagreements with the document, by direction (request, response) and kind (path, query, header, cookie, body, content_type, security, status).",
		}, []string{"service", "direction", "kind"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_contract_responses_total",
			Help: "Sampled responses (validate.responses, validate.sample) by result: valid, invalid, dropped (the check queue was full), too_large.",
		}, []string{"service", "result"}),
	}
	reg.MustRegister(m.requests, m.violations, m.responses)
	return m
}

// request counts one checked request.
func (m *contractMetrics) request(service string, res ContractResult) {
	result := "valid"
	switch {
	case !res.Found:
		result = "undocumented"
	case len(res.Violations) > 0:
		result = "invalid"
	}
	m.requests.WithLabelValues(service, result).Inc()
	for _, v := range res.Violations {
		m.violations.WithLabelValues(service, "request", v.Kind).Inc()
	}
}
