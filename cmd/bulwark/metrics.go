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
	// convergence times a discovery change, from the moment bulwark received
	// Consul's answer to the new routing state being in use.
	convergence prometheus.Histogram
}

func newProcessMetrics(reg prometheus.Registerer) *processMetrics {
	b := readBuild()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "bulwark_build_info",
		Help: "Always 1; labels say which build is running.",
		// The labels of Prometheus' own *_build_info (prometheus/common/version).
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": runtime.Version()},
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
		convergence: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bulwark_discovery_convergence_seconds",
			Help:    "Time from receiving a Consul change to the new routing state being in use.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
	m.lastOK.Set(1)
	m.lastSuccess.SetToCurrentTime()
	reg.MustRegister(build, m.reloads, m.lastSuccess, m.lastOK, m.convergence)
	return m
}
