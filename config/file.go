// Package config reads bulwark's YAML file: strict decoding (an unknown key is an
// error), every problem reported as file:line:column, validation of the whole file
// before anything is applied, and translation into the Config values of the
// packages it configures (gateway, discovery, policies). A file that has any problem
// is rejected whole, so a reload never half-applies.
package config

import "time"

// File is the YAML document. Field comments say what the zero value does; defaults
// are chosen by the packages that use them, never written back here.
type File struct {
	Listen    Listen            `yaml:"listen"`
	TLS       TLS               `yaml:"tls"`
	Server    Server            `yaml:"server"`
	Admin     Admin             `yaml:"admin"`
	Log       Log               `yaml:"log"`
	Shutdown  Shutdown          `yaml:"shutdown"`
	Upstream  Upstream          `yaml:"upstream"`
	Discovery Discovery         `yaml:"discovery"`
	Routes    []Route           `yaml:"routes"`
	Portal    Portal            `yaml:"portal"`
	Defaults  Policy            `yaml:"defaults"`
	Services  map[string]Policy `yaml:"services"`
	// Consumers are the callers admission knows by name (auth.api_keys,
	// auth.basic, rate_limit.key consumer), by name.
	Consumers map[string]Consumer `yaml:"consumers"`
	// ConsumersFile names a second YAML file holding more consumers (a
	// consumers: block and nothing else), relative to this file's folder:
	// kept apart so the keys can change, or live in a secret, without the
	// rest of the configuration. Load reads it; a reload reads it again.
	ConsumersFile string `yaml:"consumers_file"`
	// Redis holds the counts of shared rate limits (rate_limit.shared).
	Redis Redis `yaml:"redis"`

	// name and pos are set by Parse: the name the file was read under and the
	// position of every decoded value by dotted path ("routes[1].path"), so that
	// Validate can point at the right line. A File built in code has neither, and
	// its problems carry no position.
	name string
	pos  map[string]position
	// consumersPath is where Load read consumers_file from.
	consumersPath string
}

// Consumer is one named caller of the routes that admit callers.
type Consumer struct {
	// APIKeys are the consumer's API keys, stored hashed: "sha256:" and the
	// hex SHA-256 of the key (`bulwark hash api-key` writes one). A key is
	// never written here in the clear.
	APIKeys []string `yaml:"api_keys"`
	// Password is the consumer's basic-auth password hash, bcrypt ($2a$,
	// $2b$, $2y$) or argon2id in PHC form (`bulwark hash password` writes
	// one); the user name is the consumer's name. Unset: no basic auth.
	Password string `yaml:"password"`
	// RateLimit is the consumer's own rate ("1000/m") on routes that count
	// by consumer; unset, the route's rate_limit.rate.
	RateLimit string `yaml:"rate_limit"`
}

// Redis is the Redis server shared rate limits are counted in, so several
// gateways behind one load balancer hold one limit.
type Redis struct {
	// Address is host:port; unset, rate_limit.shared cannot be used.
	Address string `yaml:"address"`
	// PasswordFile holds the password (its first line); unset sends none.
	PasswordFile string `yaml:"password_file"`
	// DB is the database number, 0 by default.
	DB int `yaml:"db"`
	// Timeout bounds each call; unset is 50ms. A slower answer counts as a
	// failure, and limits are counted locally until Redis answers again.
	Timeout Duration `yaml:"timeout"`
}

// Portal configures the documentation portal served by the gateway.
type Portal struct {
	// Path is where it is served on the gateway's listeners; unset means
	// /portal, "" turns it off.
	Path *string `yaml:"path"`
	// PublicURL is the gateway's address as clients know it
	// ("https://api.example.com"); the normalized documents' servers start
	// with it. Unset, they are paths on the portal's own origin.
	PublicURL string `yaml:"public_url"`
	// Users, when set, protects the portal (pages and catalog API) with
	// HTTP basic authentication: user name → password. Unset, it is open.
	Users map[string]string `yaml:"users"`
	// Instances says whether the portal shows instance addresses on service
	// pages and the system map: "shown" or "hidden". Unset, they are shown
	// when users is set (everyone who sees the portal signed in) and hidden
	// when the portal is open.
	Instances string `yaml:"instances"`
}

// Listen says where the gateway accepts client traffic.
type Listen struct {
	// HTTP is the plain-HTTP listener address. Unset means 127.0.0.1:8080; an explicit
	// empty string disables the listener.
	HTTP *string `yaml:"http"`
	// HTTPS is the TLS listener address; unset or "" means none. It needs a
	// certificate (tls.certificates, tls.dir) or tls.dev.
	HTTPS string `yaml:"https"`
	// H2C makes the plain-HTTP listener accept HTTP/2 without TLS (prior
	// knowledge, as gRPC clients and service meshes send it). Off by default.
	H2C bool `yaml:"h2c"`
}

// TLS configures the HTTPS listener's certificates and protocol.
type TLS struct {
	// Certificates are chosen by SNI: exact name, then wildcard; the first is
	// the default for unknown names.
	Certificates []CertPair `yaml:"certificates"`
	// Dir adds every NAME.pem / NAME-key.pem pair in a folder.
	Dir string `yaml:"dir"`
	// MinVersion is "1.2" (default) or "1.3".
	MinVersion string `yaml:"min_version"`
	// RedirectHTTP makes the plain-HTTP listener answer 308 to https.
	RedirectHTTP bool `yaml:"redirect_http"`
	// HSTS is Strict-Transport-Security's max-age in seconds on HTTPS answers; 0 sends none.
	HSTS int `yaml:"hsts"`
	// Dev generates (once) and serves a self-signed certificate for localhost
	// when no certificate is configured.
	Dev bool `yaml:"dev"`
	// DataDir keeps the dev certificate; defaults to the user's cache folder.
	DataDir string `yaml:"data_dir"`
}

// CertPair is a certificate file and its key file (PEM).
type CertPair struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Server holds the client-facing HTTP server limits.
type Server struct {
	// ReadHeaderTimeout defaults to 10s (slowloris protection).
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included; defaults to 60s.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout defaults to 0 (none), so streams are not cut; per-route timeouts apply instead.
	WriteTimeout Duration `yaml:"write_timeout"`
	// IdleTimeout for keep-alive connections defaults to 120s.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes defaults to 1 MiB; larger request headers get 431.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// TrustedProxies are CIDRs (or single IPs) whose X-Forwarded-* headers are kept.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Admin configures the admin listener.
type Admin struct {
	// Listen defaults to 127.0.0.1:9901; an explicit empty string disables it. A
	// non-loopback address requires Token or TokenFile.
	Listen *string `yaml:"listen"`
	// Token protects the admin API (/api/...). When neither Token nor TokenFile is
	// set, a random token is generated at start and printed once.
	Token string `yaml:"token"`
	// TokenFile holds the token (surrounding whitespace trimmed).
	TokenFile string `yaml:"token_file"`
	// WriteToken allows the admin API's write actions (forcing a circuit
	// breaker open or closed). Unset, the admin API is read-only.
	WriteToken string `yaml:"write_token"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is text (default) or json.
	Format string `yaml:"format"`
	// AccessLog writes one line per request; defaults to true.
	AccessLog *bool `yaml:"access_log"`
}

// Shutdown configures what SIGTERM does.
type Shutdown struct {
	// DrainDelay is how long /readyz reports 503 before listeners close, so load
	// balancers stop sending new traffic; defaults to 0.
	DrainDelay Duration `yaml:"drain_delay"`
	// Grace bounds how long in-flight requests may take to finish; defaults to 15s.
	Grace Duration `yaml:"grace"`
}

// Upstream sizes the connection pool to upstream instances.
type Upstream struct {
	// MaxIdleConnsPerHost defaults to 512.
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// IdleConnTimeout defaults to 90s.
	IdleConnTimeout Duration `yaml:"idle_conn_timeout"`
	// MaxResponseHeaderBytes defaults to 1 MiB.
	MaxResponseHeaderBytes int64 `yaml:"max_response_header_bytes"`
}

// Discovery lists the sources of upstream instances.
type Discovery struct {
	Static []StaticService `yaml:"static"`
	// Consul, when present, watches a Consul cluster too (docs/consul.md).
	Consul *Consul `yaml:"consul"`
}

// Consul configures the Consul source; see discovery.ConsulConfig.
type Consul struct {
	// Address is the agent's HTTP API (host:port or URL); defaults to
	// CONSUL_HTTP_ADDR, else 127.0.0.1:8500.
	Address string `yaml:"address"`
	// Token or TokenFile is the ACL token; defaults to CONSUL_HTTP_TOKEN.
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// CAFile verifies an HTTPS agent; defaults to CONSUL_CACERT.
	CAFile string `yaml:"ca_file"`
	// Datacenter is the local datacenter; defaults to the agent's.
	Datacenter string `yaml:"datacenter"`
	// Wait is a blocking query's longest wait; defaults to 5m (at most 10m).
	Wait Duration `yaml:"wait"`
	// Timeout bounds each query beyond its wait; defaults to 10s.
	Timeout Duration `yaml:"timeout"`
	// Warning is exclude (default), include or reduced.
	Warning string `yaml:"warning"`
	// Failover lists, per service, the datacenters to try in order.
	Failover map[string][]string `yaml:"failover"`
	// Register, when present, registers this gateway in Consul.
	Register *ConsulRegister `yaml:"register"`
}

// ConsulRegister registers the gateway itself, checked through its /readyz.
type ConsulRegister struct {
	// Name defaults to "bulwark"; ID to NAME-HOST-PORT.
	Name string   `yaml:"name"`
	ID   string   `yaml:"id"`
	Tags []string `yaml:"tags"`
	// CheckInterval defaults to 10s; DeregisterAfter (critical that long) to 1m.
	CheckInterval   Duration `yaml:"check_interval"`
	DeregisterAfter Duration `yaml:"deregister_after"`
}

// StaticService is a fixed list of instances for one service.
type StaticService struct {
	Service   string   `yaml:"service"`
	Instances []string `yaml:"instances"`
	// Weights maps an instance address to its weight (default 1).
	Weights map[string]int `yaml:"weights"`
}

// Route is one routing rule; see gateway.Route for the matching semantics.
type Route struct {
	Name        string            `yaml:"name"`
	Host        string            `yaml:"host"`
	Path        string            `yaml:"path"`
	Methods     []string          `yaml:"methods"`
	Headers     map[string]string `yaml:"headers"`
	StripPrefix bool              `yaml:"strip_prefix"`
	Service     string            `yaml:"service"`
	WebSocket   bool              `yaml:"websocket"`

	// more holds the policy keys the route sets for its own requests (keys
	// declared with Route: a cache: block), by name (declared.go).
	more map[string]any
}

// Policy is the per-service policy block used by `defaults:` and `services.<name>:`.
// An unset field inherits from the layer below (see package policies).
type Policy struct {
	Timeout        *Duration `yaml:"timeout"`
	TryTimeout     *Duration `yaml:"try_timeout"`
	ConnectTimeout *Duration `yaml:"connect_timeout"`
	// StreamIdleTimeout cuts a stream whose upstream goes silent (default 5m; 0 disables).
	StreamIdleTimeout *Duration `yaml:"stream_idle_timeout"`
	Balancer          *string   `yaml:"balancer"`
	HashOn            *string   `yaml:"hash_on"`
	// TLS makes the gateway reach the service's instances over (m)TLS.
	TLS *UpstreamTLS `yaml:"tls"`
	// Docs says where the service publishes its API description (services
	// blocks only; without it the catalog looks in the usual places).
	Docs *Docs `yaml:"docs"`
	// The resilience blocks; see policies.Breaker, Bulkhead, Retries, Outlier.
	Breaker  *BreakerPolicy  `yaml:"breaker"`
	Bulkhead *BulkheadPolicy `yaml:"bulkhead"`
	Retries  *RetriesPolicy  `yaml:"retries"`
	Outlier  *OutlierPolicy  `yaml:"outlier"`

	// more holds the keys declared without a field (a cache: block), by
	// name, as the decoder read them from the declarations (declared.go).
	more map[string]any
}

// Docs locates a service's documents on its instances.
type Docs struct {
	OpenAPI string `yaml:"openapi"` // e.g. /openapi.json
	HAL     string `yaml:"hal"`     // e.g. /
}

// UpstreamTLS is a service's tls: block: how to reach its instances over TLS.
type UpstreamTLS struct {
	// CA the instances' certificates chain to (default: the system's roots).
	CA string `yaml:"ca"`
	// Cert and Key are the gateway's client certificate, for mutual TLS.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// ServerName is checked against the instances' certificates.
	ServerName string `yaml:"server_name"`
	// HTTP2 offers HTTP/2 to the instances.
	HTTP2 bool `yaml:"http2"`
}

// BreakerPolicy is the breaker: block.
type BreakerPolicy struct {
	Failures         *int      `yaml:"failures"`
	OpenFor          *Duration `yaml:"open_for"`
	HalfOpenRequests *int      `yaml:"half_open_requests"`
}

// BulkheadPolicy is the bulkhead: block.
type BulkheadPolicy struct {
	MaxConcurrent *int      `yaml:"max_concurrent"`
	MaxQueue      *int      `yaml:"max_queue"`
	QueueTimeout  *Duration `yaml:"queue_timeout"`
}

// RetriesPolicy is the retries: block.
type RetriesPolicy struct {
	Attempts      *int      `yaml:"attempts"`
	Budget        *Percent  `yaml:"budget"`
	MinConcurrent *int      `yaml:"min_concurrent"`
	Backoff       *Duration `yaml:"backoff"`
	MaxBodyBytes  *int64    `yaml:"max_body_bytes"`
}

// OutlierPolicy is the outlier: block.
type OutlierPolicy struct {
	ConsecutiveFailures *int      `yaml:"consecutive_failures"`
	EjectFor            *Duration `yaml:"eject_for"`
	MaxEjected          *Percent  `yaml:"max_ejected"`
}

// Percent is a share written "20%" (or as a fraction, 0.2).
type Percent string

// Duration is a time.Duration written in Go syntax ("250ms", "15s", "1m30s").
type Duration time.Duration
