package gateway

import (
	"crypto/tls"
	"net/netip"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// Config is everything the gateway's request path needs that comes from the config
// file. It is immutable once passed to Gateway.Configure; a reload builds a new one.
type Config struct {
	// Routes in any order; the gateway orders them most specific first.
	Routes []Route
	// Policies holds the resolved policy of every service a route names.
	Policies map[string]policies.Policy
	// PolicySources says, per service and policy field, which layer set the value
	// ("built-in", "defaults", "services.pets"), for the admin API. Optional.
	PolicySources map[string]policies.Explanation
	// Layers are the file's policy layers per service ("defaults", then
	// "services.NAME"), and DefaultLayers those of a service the file does not
	// name: the policy keys of a service's labels are resolved on top of them.
	Layers        map[string][]policies.Layer
	DefaultLayers []policies.Layer
	// DefaultPolicy is the policy of a service missing from Policies (one found
	// only by discovery); nil means policies.Defaults().
	DefaultPolicy *policies.Policy
	// TrustedProxies lists the peers whose inbound X-Forwarded-* headers are kept
	// and extended. Empty trusts nobody: those headers are replaced. (A well-formed
	// X-Request-Id is kept from anyone: it correlates logs and grants nothing.)
	TrustedProxies []netip.Prefix
	// Transport sizes the upstream connection pool.
	Transport TransportConfig
	// UpstreamTLS holds, per service, the client TLS configuration of a
	// service whose instances speak HTTPS (or mutual TLS); others get HTTP.
	UpstreamTLS map[string]*UpstreamTLS
	// AccessLog enables one log line per request.
	AccessLog bool
	// Consumers are the callers admission knows by name (their API keys,
	// passwords and own rate limits), by name.
	Consumers map[string]Consumer
	// Redis is where shared rate limits are counted; nil: rate_limit.shared
	// counts locally (config refuses shared without it).
	Redis *RedisConfig
	// Security finds an operation's security requirement in its service's
	// OpenAPI document, for auth.from_openapi; nil: no document is known, and
	// a from_openapi route asks for any configured verifier.
	Security OperationSecurity
	// Contracts finds each service's OpenAPI contract, for the validate
	// keys; nil: no document is known, and validation has nothing to check.
	Contracts Contracts
}

// Consumer is one named caller.
type Consumer struct {
	// APIKeys are the consumer's API keys, hashed ("sha256:HEX").
	APIKeys []string
	// Password is the consumer's basic-auth password hash (bcrypt or
	// argon2id); "" allows no basic authentication.
	Password string
	// RateLimit is the consumer's own rate where a route counts by
	// consumer; the zero Rate takes the route's.
	RateLimit policies.Rate
}

// RedisConfig is how to reach the Redis that holds shared rate limits.
type RedisConfig struct {
	Address  string
	Password string
	DB       int
	// Timeout bounds each call; 0 is 50ms. A slower Redis is a failed one,
	// and the limit falls back to counting locally.
	Timeout time.Duration
}

// TransportConfig sizes upstream connections. Zero values pick the defaults noted.
type TransportConfig struct {
	// MaxIdleConnsPerHost defaults to 512 (Go's default of 2 exhausts ports under load).
	MaxIdleConnsPerHost int
	// IdleConnTimeout defaults to 90s.
	IdleConnTimeout time.Duration
	// MaxResponseHeaderBytes defaults to 1 MiB; a larger upstream header block is a 502.
	MaxResponseHeaderBytes int64
}

// UpstreamTLS is how the gateway reaches one service's instances over TLS.
// It is compared by pointer: a reload that builds a new one gets a new
// transport, and with it new connections.
type UpstreamTLS struct {
	Config *tls.Config
	// HTTP2 offers HTTP/2 to the instances (ALPN), falling back to 1.1.
	HTTP2 bool
}
