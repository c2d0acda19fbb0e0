package main

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// processMetrics are the command's own series: build info and config reloads.
type processMetrics struct {
	reloads     *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	lastOK      prometheus.Gauge
}

func newProcessMetrics(reg prometheus.Registerer) *processMetrics {
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "bulwark_build_info",
		Help:        "Always 1; labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	m := &processMetrics{
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_config_reloads_total",
			Help: "Config reload attempts by result (success, failure).",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bulwark_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration last applied cleanly.",
		}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bulwark_config_last_reload_successful",
			Help: "1 if the last reload applied, 0 if it was rejected (the previous configuration still serves).",
		}),
	}
	m.lastOK.Set(1)
	m.lastSuccess.SetToCurrentTime()
	reg.MustRegister(build, m.reloads, m.lastSuccess, m.lastOK)
	return m
}
