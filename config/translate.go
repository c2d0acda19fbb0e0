package config

import (
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/policies"
	bwtls "github.com/bulwark-gw/bulwark/tls"
)

// Gateway translates the file into the gateway's Config. It validates first, so
// a Config is never built from a file with problems.
//
// Policies holds the resolved policy of every service the file names (in a
// route, a services: block or static discovery); a service found only by
// discovery gets DefaultPolicy, the file's defaults: block. Layers keep the
// unresolved layers so that a service's labels can be resolved on top.
func (f *File) Gateway() (gateway.Config, error) {
	if err := f.Validate(); err != nil {
		return gateway.Config{}, err
	}
	cfg := gateway.Config{
		Routes:   make([]gateway.Route, 0, len(f.Routes)),
		Policies: map[string]policies.Policy{},
		Transport: gateway.TransportConfig{
			MaxIdleConnsPerHost:    f.Upstream.MaxIdleConnsPerHost,
			IdleConnTimeout:        f.Upstream.IdleConnTimeout.D(),
			MaxResponseHeaderBytes: f.Upstream.MaxResponseHeaderBytes,
		},
		AccessLog: f.AccessLog(),
	}
	names := map[string]bool{}
	for _, r := range f.Routes {
		cfg.Routes = append(cfg.Routes, gateway.Route{
			Name:        r.Name,
			Host:        strings.ToLower(r.Host),
			Path:        r.Path,
			Methods:     slices.Clone(r.Methods),
			Headers:     maps.Clone(r.Headers),
			StripPrefix: r.StripPrefix,
			Service:     r.Service,
			WebSocket:   r.WebSocket,
			Policy:      r.overrides(),
		})
		names[r.Service] = true
	}
	for name := range f.Services {
		names[name] = true
	}
	for _, s := range f.Discovery.Static {
		names[s.Service] = true
	}
	cfg.PolicySources = make(map[string]policies.Explanation, len(names))
	cfg.Layers = make(map[string][]policies.Layer, len(names))
	cfg.DefaultLayers = f.layers("")
	for name := range names {
		cfg.Layers[name] = f.layers(name)
		p, why, err := f.Policy(name)
		if err != nil {
			return gateway.Config{}, err
		}
		cfg.Policies[name] = p
		cfg.PolicySources[name] = why
	}
	if err := f.upstreamTLS(&cfg, names); err != nil {
		return gateway.Config{}, err
	}
	def, _, err := policies.Resolve(policies.Layer{Name: "defaults", Set: f.Defaults.overrides()})
	if err != nil {
		return gateway.Config{}, err // unreachable after Validate
	}
	cfg.DefaultPolicy = &def
	for _, s := range f.Server.TrustedProxies {
		p, err := parseTrustedProxy(s)
		if err != nil {
			return gateway.Config{}, err // unreachable after Validate
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	if err := f.admission(&cfg); err != nil {
		return gateway.Config{}, err
	}
	return cfg, nil
}

// admission copies the consumers and the Redis of shared limits, reading
// the Redis password from its file.
func (f *File) admission(cfg *gateway.Config) error {
	if len(f.Consumers) > 0 {
		cfg.Consumers = make(map[string]gateway.Consumer, len(f.Consumers))
	}
	for name, c := range f.Consumers {
		rate, _ := policies.ParseRate(c.RateLimit) // checked by Validate
		keys := make([]string, len(c.APIKeys))
		for i, k := range c.APIKeys {
			keys[i] = strings.ToLower(k)
		}
		cfg.Consumers[name] = gateway.Consumer{APIKeys: keys, Password: c.Password, RateLimit: rate}
	}
	r := f.Redis
	if r.Address == "" {
		return nil
	}
	cfg.Redis = &gateway.RedisConfig{Address: r.Address, DB: r.DB, Timeout: r.Timeout.D()}
	if r.PasswordFile != "" {
		b, err := os.ReadFile(r.PasswordFile)
		if err != nil {
			return fmt.Errorf("redis.password_file: %w", err)
		}
		cfg.Redis.Password, _, _ = strings.Cut(strings.TrimRight(string(b), "\r\n"), "\n")
	}
	return nil
}

// TrustedProxies returns server.trusted_proxies as prefixes, a bare IP as a
// prefix of one address (/32 or /128). Invalid entries are skipped; Validate
// reports them.
func (f *File) TrustedProxies() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range f.Server.TrustedProxies {
		if p, err := parseTrustedProxy(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// StaticServices translates discovery.static for discovery.NewStatic. Weights
// become one entry per instance (1 where the file gives none), or nil when the
// service sets no weights at all.
func (f *File) StaticServices() []discovery.StaticService {
	out := make([]discovery.StaticService, 0, len(f.Discovery.Static))
	for _, s := range f.Discovery.Static {
		ds := discovery.StaticService{Name: s.Service, Instances: slices.Clone(s.Instances)}
		if len(s.Weights) > 0 {
			ds.Weights = make([]int, len(s.Instances))
			for i, addr := range s.Instances {
				ds.Weights[i] = 1
				if w, ok := s.Weights[addr]; ok {
					ds.Weights[i] = w
				}
			}
		}
		out = append(out, ds)
	}
	return out
}

// Policy resolves the policy of one service from the layers "defaults" and,
// when the file has a block for it, "services.<name>", with the explanation of
// which layer set each value.
func (f *File) Policy(service string) (policies.Policy, policies.Explanation, error) {
	p, why, err := policies.Resolve(f.layers(service)...)
	if err != nil {
		return p, why, fmt.Errorf("resolving the policy of service %q: %w", service, err)
	}
	return p, why, nil
}

// layers are the file's policy layers for a service, lowest first.
func (f *File) layers(service string) []policies.Layer {
	layers := []policies.Layer{{Name: "defaults", Set: f.Defaults.overrides()}}
	if b, ok := f.Services[service]; ok {
		layers = append(layers, policies.Layer{Name: "services." + service, Set: b.overrides()})
	}
	return layers
}

// ConsulConfig translates discovery.consul for discovery.NewConsul; nil when
// the file does not configure Consul. It reads token_file, so unlike Validate
// it can fail on a machine where that file is missing.
func (f *File) ConsulConfig() (*discovery.ConsulConfig, error) {
	cs := f.Discovery.Consul
	if cs == nil {
		return nil, nil
	}
	token := cs.Token
	if cs.TokenFile != "" {
		b, err := os.ReadFile(cs.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading discovery.consul.token_file: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	failover := make(map[string][]string, len(cs.Failover))
	for svc, dcs := range cs.Failover {
		failover[svc] = slices.Clone(dcs)
	}
	return &discovery.ConsulConfig{
		Address:    cs.Address,
		Token:      token,
		CAFile:     cs.CAFile,
		Datacenter: cs.Datacenter,
		Wait:       cs.Wait.D(),
		Timeout:    cs.Timeout.D(),
		Warning:    discovery.WarningPolicy(cs.Warning),
		Failover:   failover,
	}, nil
}

// TLSConfig translates the certificates for bwtls.NewStore; dev says whether
// to add the self-signed development certificate (no certificate configured
// and tls.dev set), and dataDir where it lives.
func (f *File) TLSConfig() (cfg bwtls.Config, dev bool, dataDir string) {
	for _, p := range f.TLS.Certificates {
		cfg.Pairs = append(cfg.Pairs, bwtls.Pair{Cert: p.Cert, Key: p.Key})
	}
	cfg.Dir = f.TLS.Dir
	dataDir = f.TLS.DataDir
	if dataDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			dataDir = filepath.Join(d, "bulwark")
		} else {
			dataDir = filepath.Join(os.TempDir(), "bulwark")
		}
	}
	return cfg, f.TLS.Dev && len(cfg.Pairs) == 0 && cfg.Dir == "", dataDir
}

// upstreamTLS builds the client TLS configuration of every service with a
// tls: block (its own, else the defaults' one). It reads the CA and client
// certificate files, so a missing or broken one fails the load (or the
// reload, which then keeps the running configuration).
func (f *File) upstreamTLS(cfg *gateway.Config, names map[string]bool) error {
	for name := range names {
		b := f.Defaults.TLS
		if s, ok := f.Services[name]; ok && s.TLS != nil {
			b = s.TLS
		}
		if b == nil {
			continue
		}
		tc, err := bwtls.Upstream{CA: b.CA, Cert: b.Cert, Key: b.Key, ServerName: b.ServerName}.ClientConfig()
		if err != nil {
			return fmt.Errorf("services.%s.tls: %w", name, err)
		}
		if cfg.UpstreamTLS == nil {
			cfg.UpstreamTLS = map[string]*gateway.UpstreamTLS{}
		}
		cfg.UpstreamTLS[name] = &gateway.UpstreamTLS{Config: tc, HTTP2: b.HTTP2}
	}
	return nil
}

// DocPath is where the file says a service publishes its OpenAPI document
// ("" to let the catalog look).
func (f *File) DocPath(service string) string {
	if s, ok := f.Services[service]; ok && s.Docs != nil {
		return s.Docs.OpenAPI
	}
	return ""
}

// HALPath is where the file says a service serves its HAL root ("" to let
// the catalog look).
func (f *File) HALPath(service string) string {
	if s, ok := f.Services[service]; ok && s.Docs != nil {
		return s.Docs.HAL
	}
	return ""
}
