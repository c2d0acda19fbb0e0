package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/consul/api"
)

// agent is a Consul dev agent (all state in memory) on free loopback ports,
// started as internal/consultest does, with the per-client connection limit
// raised: bulwark holds one long poll per service, and the default of 200
// would refuse the 201st.
type agent struct {
	*proc
	addr   string
	client *api.Client
}

func startAgent(ctx context.Context, bin, dir string) (*agent, error) {
	var err error
	for attempt := range 2 { // ports are picked racily: retry once on fresh ones
		var a *agent
		if a, err = tryAgent(ctx, bin, filepath.Join(dir, fmt.Sprintf("consul-%d.log", attempt))); err == nil {
			return a, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return nil, err
}

func tryAgent(ctx context.Context, bin, logPath string) (*agent, error) {
	p, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(p[0])
	pr, err := startProc("consul", logPath, bin, "agent", "-dev", "-log-level", "warn",
		"-client", "127.0.0.1", "-bind", "127.0.0.1",
		"-node", "bench-"+strconv.Itoa(p[0]),
		"-http-port", strconv.Itoa(p[0]), "-dns-port", "-1",
		"-grpc-port", "-1", "-grpc-tls-port", "-1",
		"-server-port", strconv.Itoa(p[1]),
		"-serf-lan-port", strconv.Itoa(p[2]), "-serf-wan-port", strconv.Itoa(p[3]),
		"-hcl", "limits { http_max_conns_per_client = 8192 }")
	if err != nil {
		return nil, err
	}
	cfg := api.DefaultConfig() // pooled keep-alive connections
	cfg.Address = addr
	cfg.Transport.MaxIdleConnsPerHost = 64
	cfg.HttpClient = &http.Client{Transport: cfg.Transport, Timeout: 10 * time.Second}
	client, err := api.NewClient(cfg)
	if err != nil {
		pr.stop()
		return nil, err
	}
	a := &agent{proc: pr, addr: addr, client: client}
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader, err := client.Status().Leader()
		if err == nil && leader != "" {
			return a, nil
		}
		if pr.exited() || time.Now().After(deadline) || ctx.Err() != nil {
			pr.stop()
			return nil, fmt.Errorf("consul agent not ready (last error: %v); output: %v", err, pr.tail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// register registers one instance with a TTL check that starts passing; its
// check ID is "service:<id>".
func (a *agent) register(name, id string, port int) error {
	return a.client.Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: id, Name: name, Address: "127.0.0.1", Port: port,
		Tags: []string{"bulwark.route=/" + name},
		Check: &api.AgentServiceCheck{
			CheckID: "service:" + id, TTL: "2h", Status: api.HealthPassing,
		},
	})
}

// failCheck is PUT /v1/agent/check/fail/service:<id>.
func (a *agent) failCheck(id string) error {
	return a.client.Agent().FailTTL("service:"+id, "convergence benchmark")
}

func (a *agent) deregister(id string) error {
	return a.client.Agent().ServiceDeregister(id)
}

// registerServices registers svc-0 … svc-(n-1), one instance per upstream
// port, with a bounded pool of workers.
func (a *agent) registerServices(ctx context.Context, n int, ports []int, workers int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan [2]int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				name := fmt.Sprintf("svc-%d", j[0])
				id := fmt.Sprintf("%s-%d", name, j[1])
				if err := a.register(name, id, ports[j[1]]); err != nil {
					once.Do(func() { first = fmt.Errorf("registering %s: %w", id, err); cancel() })
				}
			}
		})
	}
feed:
	for k := range n {
		for i := range ports {
			select {
			case jobs <- [2]int{k, i}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
