package discovery

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/consul/api"
)

// Registration is the gateway registering itself in Consul, so a fleet of
// gateways is found as one service (bulwark.service.consul in Consul DNS) and
// scales out behind it. Its health check is the gateway's own readiness: a
// draining or not-yet-ready gateway leaves DNS answers by itself.
type Registration struct {
	// Name is the Consul service name (default "bulwark").
	Name string
	// ID is unique per gateway (default NAME-HOST-PORT).
	ID string
	// Addr is the gateway's traffic listener, host:port. An unspecified host
	// (0.0.0.0, ::) registers no address, so Consul uses the node's.
	Addr string
	Tags []string
	// CheckURL is polled by the agent (the admin listener's /readyz); empty
	// uses a TCP check on Addr.
	CheckURL string
	// Interval between checks (default 10s); a gateway critical for
	// DeregisterAfter (default 1m) is removed by Consul.
	Interval, DeregisterAfter time.Duration
}

// keepRegisteredEvery is how often the registration is confirmed: an agent
// that lost it (restarted without its data) gets it back within this time.
const keepRegisteredEvery = 30 * time.Second

func (r *Registration) setDefaults() error {
	host, port, err := net.SplitHostPort(r.Addr)
	if err != nil {
		return fmt.Errorf("consul registration: address %q: %w", r.Addr, err)
	}
	if r.Name == "" {
		r.Name = "bulwark"
	}
	if r.ID == "" {
		r.ID = r.Name + "-" + host + "-" + port
	}
	if r.Interval <= 0 {
		r.Interval = 10 * time.Second
	}
	if r.DeregisterAfter <= 0 {
		r.DeregisterAfter = time.Minute
	}
	return nil
}

func (r *Registration) agentService() (*api.AgentServiceRegistration, error) {
	host, portStr, _ := net.SplitHostPort(r.Addr)
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("consul registration: port %q: %w", portStr, err)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = ""
	}
	check := &api.AgentServiceCheck{
		Interval:                       r.Interval.String(),
		Timeout:                        min(r.Interval, 5*time.Second).String(),
		DeregisterCriticalServiceAfter: r.DeregisterAfter.String(),
	}
	if r.CheckURL != "" {
		check.HTTP = r.CheckURL
	} else {
		check.TCP = r.Addr
	}
	return &api.AgentServiceRegistration{ID: r.ID, Name: r.Name, Address: host, Port: port,
		Tags: r.Tags, Check: check}, nil
}

// KeepRegistered registers the gateway and keeps it registered until ctx
// ends, then deregisters it (bounded by the source's Timeout), so clients
// resolving the fleet stop getting this gateway before it stops. Failures are
// logged and retried with backoff: the gateway serves whether or not Consul
// knows it.
func (c *Consul) KeepRegistered(ctx context.Context, r Registration) error {
	if err := r.setDefaults(); err != nil {
		return err
	}
	reg, err := r.agentService()
	if err != nil {
		return err
	}
	log := c.log.With("registration", r.ID)
	backoff := c.cfg.BackoffMin
	registered := false
	for ctx.Err() == nil {
		err := c.ensureRegistered(ctx, reg)
		switch {
		case err != nil:
			log.Warn("registering the gateway in Consul failed; retrying", "err", err, "retry_in", backoff)
			sleep(ctx, jitter(backoff))
			backoff = min(2*backoff, c.cfg.BackoffMax)
			continue
		case !registered:
			log.Info("registered the gateway in Consul", "service", r.Name, "check", reg.Check.HTTP+reg.Check.TCP)
			registered = true
		}
		backoff = c.cfg.BackoffMin
		sleep(ctx, keepRegisteredEvery)
	}
	dctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	if err := c.client.Agent().ServiceDeregisterOpts(r.ID, (&api.QueryOptions{}).WithContext(dctx)); err != nil {
		log.Warn("deregistering the gateway from Consul failed; Consul will remove it once its check fails", "err", err)
		return nil
	}
	log.Info("deregistered the gateway from Consul")
	return nil
}

// ensureRegistered registers reg unless the agent already has it.
func (c *Consul) ensureRegistered(ctx context.Context, reg *api.AgentServiceRegistration) error {
	qctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	svc, _, err := c.client.Agent().Service(reg.ID, (&api.QueryOptions{}).WithContext(qctx))
	if err == nil && svc != nil {
		return nil
	}
	return c.client.Agent().ServiceRegisterOpts(reg, api.ServiceRegisterOpts{}.WithContext(qctx))
}
