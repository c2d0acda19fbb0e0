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
