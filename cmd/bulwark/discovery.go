package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/bulwark-gw/bulwark/config"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/labels"
	"github.com/prometheus/client_golang/prometheus"
)

// The process feeds the gateway one merged snapshot: the file's static
// services (replaced on every reload) and Consul's (replaced on every change
// Consul reports). Each side keeps its latest snapshot, so either can change
// without the other being asked again.

// startConsul builds the Consul source when the file configures one. It does
// not contact Consul; runConsul does, until ctx ends.
func (rt *process) startConsul(f *config.File) error {
	cc, err := f.ConsulConfig()
	if err != nil || cc == nil {
		return err
	}
	cc.Logger = rt.log
	cc.Weight = labels.InstanceWeight
	src, err := discovery.NewConsul(*cc)
	if err != nil {
		return err
	}
	rt.consul = src
	// Routes may come from Consul labels: zero routes is then "nothing
	// opted in yet", ready once Consul has answered (discoveryReady).
	rt.gw.DiscoversRoutes(true)
	rt.metrics.watchDiscovery(rt.reg, src)
	return nil
}

// runConsul runs the Consul watch until ctx ends.
func (rt *process) runConsul(ctx context.Context) error {
	if rt.consul == nil {
		return nil
	}
	rt.log.Info("watching Consul", "address", rt.consul.Summary().Address)
	return rt.consul.Run(ctx, rt.onConsul)
}

// onConsul installs a new Consul snapshot beside the static one.
func (rt *process) onConsul(snap *discovery.Snapshot) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.consulSnap = snap
	rt.version++
	merged := discovery.MergeChange(rt.version, snap, rt.staticSnap, snap)
	rt.gw.Update(merged)
	rt.catalogUpdate(merged)
	if !snap.Observed.IsZero() {
		rt.metrics.convergence.Observe(time.Since(snap.Observed).Seconds())
	}
}

// discoveryReady is a readiness check: with Consul configured the gateway is
// not ready until Consul has answered once, since its routes would be missing.
// Once it has, a Consul outage keeps the gateway ready (it routes with the last
// instances it saw, as Envoy and Traefik do), and /readyz says discovery is
// stale rather than failing: failing would take every gateway out of its load
// balancer at once, for an outage of the control plane only.
func (rt *process) discoveryReady() (bool, string) {
	if rt.consul == nil {
		return true, ""
	}
	rt.mu.Lock()
	seen := rt.consulSnap != nil
	rt.mu.Unlock()
	st := rt.consul.Summary()
	switch {
	case !seen:
		return false, fmt.Sprintf("waiting for Consul at %s (%s)", st.Address, st.StaleReason)
	case st.Stale:
		return true, "discovery is stale: " + st.StaleReason + "; routing with the last known instances"
	}
	return true, ""
}

// watchDiscovery registers the Consul source's metrics, read from its status
// when scraped.
func (m *processMetrics) watchDiscovery(reg prometheus.Registerer, src *discovery.Consul) {
	stale := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "bulwark_discovery_stale",
		Help: "1 while a Consul query is failing and routing uses the last known instances.",
	}, func() float64 {
		if src.Summary().Stale {
			return 1
		}
		return 0
	})
	errs := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "bulwark_discovery_errors_total",
		Help: "Failed Consul queries.",
	}, func() float64 { return float64(src.Summary().Errors) })
	// The same failures by kind of watch: a failing service list stops new
	// services from being found, a failing service watch freezes that
	// service. Each failed retry is counted here; the log has one line per
	// outage.
	var byWatch []prometheus.Collector
	for _, kind := range []string{discovery.WatchCatalog, discovery.WatchService} {
		byWatch = append(byWatch, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "bulwark_discovery_watch_errors_total",
			Help:        "Failed Consul queries by watch kind (catalog: the service list; service: one service's health).",
			ConstLabels: prometheus.Labels{"watch": kind},
		}, func() float64 { return float64(src.Summary().ErrorsByWatch[kind]) }))
	}
	watches := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "bulwark_discovery_watches",
		Help: "Blocking-query watches running (the service list, and each service per datacenter).",
	}, func() float64 { return float64(src.Summary().WatchCount) })
	problems := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "bulwark_discovery_registration_problems",
		Help: "Consul registrations skipped or corrected (no address, bad port, duplicate address, bad weight); see /api/v1/discovery.",
	}, func() float64 { return float64(src.Summary().ProblemCount) })
	reg.MustRegister(stale, errs, watches, problems)
	reg.MustRegister(byWatch...)
}

// discoveryView is served at /api/v1/discovery.
func (rt *process) discoveryView() any {
	if rt.consul == nil {
		return map[string]string{"source": "static"}
	}
	return rt.consul.Status()
}

// keepRegistered registers this gateway in Consul while it serves, when the
// file asks for it: traffic is the bound listener, the check is the admin
// listener's /readyz (a TCP check on traffic when there is no admin listener).
// f is the file the process started with: the registration applies after a
// restart only, and reading rt.current here raced with reloads.
func (rt *process) keepRegistered(ctx context.Context, f *config.File, traffic, admin net.Addr) error {
	cs := f.Discovery.Consul
	if rt.consul == nil || cs == nil || cs.Register == nil || traffic == nil {
		return nil
	}
	r := cs.Register
	reg := discovery.Registration{Name: r.Name, ID: r.ID, Addr: traffic.String(), Tags: r.Tags,
		Interval: r.CheckInterval.D(), DeregisterAfter: r.DeregisterAfter.D()}
	if admin != nil {
		reg.CheckURL = "http://" + checkHost(admin) + "/readyz"
	}
	return rt.consul.KeepRegistered(ctx, reg)
}

// checkHost is addr as the local Consul agent can reach it: a listener on
// every interface is reached on loopback.
func checkHost(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
