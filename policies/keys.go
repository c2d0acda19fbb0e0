package policies

import (
	"slices"
	"time"
)

// keys declares every policy key, in the order the docs table, the admin
// API's JSON and label problems list them. The built-in values are chosen
// for a production gateway: Envoy's 15s route timeout and 5m stream idle
// timeout, a connect timeout short enough to fail over quickly, round robin
// (which needs no state), and every resilience policy on, since an operator
// who has not read about them is the one who needs them most.
var keys = numbered(slices.Concat([]Key{
	{Name: "timeout", Kind: Duration, Range: positive(), Labels: true,
		Doc: "the whole request: connect, send, response headers and body. Server-sent event streams and WebSockets are released from it once their headers arrive. Exceeded → `504` (before headers) or the response is cut (after)",
		field: bind(15*time.Second,
			func(p *Policy) *time.Duration { return &p.Timeout }, func(o *Overrides) **time.Duration { return &o.Timeout })},
	{Name: "try_timeout", Kind: Duration, Range: notNegative("0 means the whole timeout"), Labels: true,
		Doc: "the wait for the upstream's response headers once the request has been sent; exceeded → `504`",
		field: bind(time.Duration(0),
			func(p *Policy) *time.Duration { return &p.TryTimeout }, func(o *Overrides) **time.Duration { return &o.TryTimeout })},
	{Name: "connect_timeout", Kind: Duration, Range: positive(), Labels: true,
		Doc: "dialling an instance; exceeded → `502` (an unreachable instance is a connection failure, not a slow answer)",
		field: bind(2*time.Second,
			func(p *Policy) *time.Duration { return &p.ConnectTimeout }, func(o *Overrides) **time.Duration { return &o.ConnectTimeout })},
	{Name: "stream_idle_timeout", Kind: Duration, Range: notNegative("0 disables it"), Labels: true,
		Doc: "once a server-sent event stream's headers arrived, `timeout` no longer applies; this bounds the silence between two reads of it instead, so an upstream that hangs mid-stream is cut off",
		field: bind(5*time.Minute,
			func(p *Policy) *time.Duration { return &p.StreamIdleTimeout }, func(o *Overrides) **time.Duration { return &o.StreamIdle })},
	{Name: "balancer", Kind: Choice, Values: []string{RoundRobin, LeastRequest, ConsistentHash}, Labels: true, json: "balancer.kind",
		Doc: "`round_robin` (weighted, smooth), `least_request` (power of two choices over requests in flight, weighted) or `consistent_hash`",
		field: bind(RoundRobin,
			func(p *Policy) *string { return &p.Balancer.Kind }, func(o *Overrides) **string { return &o.Balancer })},
	{Name: "hash_on", Kind: Hash, Labels: true, json: "balancer.hash_on,omitempty",
		Doc: "for `consistent_hash`: `header:NAME`, `cookie:NAME` or `path:N` (the N-th path segment). The same key reaches the same instance while the instance set is unchanged, and only about 1/N of keys move when an instance joins or leaves. Requests without the key are balanced round robin",
		field: bind("",
			func(p *Policy) *string { return &p.Balancer.HashOn }, func(o *Overrides) **string { return &o.HashOn })},

	{Name: "breaker.failures", Kind: Int, Range: notNegative(""), Labels: true,
		Doc: "consecutive failed requests (5xx, connect errors, timeouts; never 4xx or a client that left) that open the service's circuit; `0` turns the breaker off",
		field: bind(5,
			func(p *Policy) *int { return &p.Breaker.Failures }, func(o *Overrides) **int { return &o.Breaker.Failures })},
	{Name: "breaker.open_for", Kind: Duration, Range: positive(), Labels: true, onlyWith: "breaker.failures",
		Doc: "while open, every request is refused at once with `503` and `Retry-After`; then it goes half-open",
		field: bind(10*time.Second,
			func(p *Policy) *time.Duration { return &p.Breaker.OpenFor }, func(o *Overrides) **time.Duration { return &o.Breaker.OpenFor })},
	{Name: "breaker.half_open_requests", Kind: Int, Range: atLeast(1), Labels: true, onlyWith: "breaker.failures",
		Doc: "half-open, this many probes are let through (the rest get `503`); all must succeed to close it, one failure re-opens it",
		field: bind(3,
			func(p *Policy) *int { return &p.Breaker.HalfOpenRequests }, func(o *Overrides) **int { return &o.Breaker.HalfOpenRequests })},

	{Name: "bulkhead.max_concurrent", Kind: Int, Range: notNegative(""), Labels: true,
		Doc: "requests in flight to the service; `0` is unlimited",
		field: bind(1024,
			func(p *Policy) *int { return &p.Bulkhead.MaxConcurrent }, func(o *Overrides) **int { return &o.Bulkhead.MaxConcurrent })},
	{Name: "bulkhead.max_queue", Kind: Int, Range: notNegative(""), Labels: true,
		Doc: "requests that may wait for a slot; past that, `503` at once",
		field: bind(64,
			func(p *Policy) *int { return &p.Bulkhead.MaxQueue }, func(o *Overrides) **int { return &o.Bulkhead.MaxQueue })},
	{Name: "bulkhead.queue_timeout", Kind: Duration, Range: positive(), Labels: true, onlyWith: "bulkhead.max_queue",
		Doc: "the longest wait in the queue before `503`",
		field: bind(100*time.Millisecond,
			func(p *Policy) *time.Duration { return &p.Bulkhead.QueueTimeout }, func(o *Overrides) **time.Duration { return &o.Bulkhead.QueueTimeout })},

	{Name: "retries.attempts", Kind: Int, Range: fromTo(1, 10, "no retries"), Labels: true,
		Doc: "tries of one request, the first included. A retry goes to a different instance, only when safe: any method if the connection was never made; otherwise only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or requests with an `Idempotency-Key`, after a `502`, `503`, `504` or no answer. A `500` is never retried",
		field: bind(2,
			func(p *Policy) *int { return &p.Retries.Attempts }, func(o *Overrides) **int { return &o.Retries.Attempts })},
	{Name: "retries.budget", Kind: Share, Range: fromTo(0, 1, ""), Labels: true,
		Doc: "retries in flight may be at most this share of the service's requests in flight…",
		field: bind(0.2,
			func(p *Policy) *float64 { return &p.Retries.Budget }, func(o *Overrides) **float64 { return &o.Retries.Budget })},
	{Name: "retries.min_concurrent", Kind: Int, Range: notNegative(""), Labels: true,
		Doc: "…but this many are always allowed",
		field: bind(3,
			func(p *Policy) *int { return &p.Retries.MinConcurrent }, func(o *Overrides) **int { return &o.Retries.MinConcurrent })},
	{Name: "retries.backoff", Kind: Duration, Range: notNegative(""), Labels: true,
		Doc: "base of the jittered exponential wait before a retry (capped at 1s, and always within `timeout`)",
		field: bind(25*time.Millisecond,
			func(p *Policy) *time.Duration { return &p.Retries.Backoff }, func(o *Overrides) **time.Duration { return &o.Retries.Backoff })},
	{Name: "retries.max_body_bytes", Kind: Bytes, Range: notNegative(""), Labels: true,
		Doc: "request bodies up to this size are kept to be replayed; a larger or streamed body is never retried",
		field: bind(int64(64<<10),
			func(p *Policy) *int64 { return &p.Retries.MaxBodyBytes }, func(o *Overrides) **int64 { return &o.Retries.MaxBodyBytes })},

	{Name: "outlier.consecutive_failures", Kind: Int, Range: notNegative(""), Labels: true,
		Doc: "failed attempts in a row that eject an instance from its service's pool; `0` turns ejection off",
		field: bind(5,
			func(p *Policy) *int { return &p.Outlier.ConsecutiveFailures }, func(o *Overrides) **int { return &o.Outlier.ConsecutiveFailures })},
	{Name: "outlier.eject_for", Kind: Duration, Range: positive(), Labels: true, onlyWith: "outlier.consecutive_failures",
		Doc: "the first ejection's length; the n-th lasts n times as long (up to 10)",
		field: bind(30*time.Second,
			func(p *Policy) *time.Duration { return &p.Outlier.EjectFor }, func(o *Overrides) **time.Duration { return &o.Outlier.EjectFor })},
	{Name: "outlier.max_ejected", Kind: Share, Range: fromTo(0, 1, ""), Labels: true,
		Doc: "never eject more than this share of a service's instances; if every instance is out anyway, requests are spread over all of them rather than refused",
		field: bind(0.5,
			func(p *Policy) *float64 { return &p.Outlier.MaxEjected }, func(o *Overrides) **float64 { return &o.Outlier.MaxEjected })},

	// The HTTP cache (RFC 9111). Its keys are declared with value: the
	// cache stages read them through policies.ValueOf, and nothing else
	// names them.
	{Name: "cache.enabled", Kind: Bool, Labels: true, Route: true,
		Doc:   "keep the responses HTTP allows a shared cache to keep, and answer from them: freshness, validation and `Vary` as RFC 9111 says; `Cache-Status` on every response",
		field: value(false)},
	{Name: "cache.max_bytes", Kind: Bytes, Range: positive(), Labels: true, Route: true, labelMax: 1 << 30,
		Doc:   "the memory the service's cache may hold, bodies and headers counted; the least recently useful entries go first. A route that sets it has a cache of its own",
		field: value(int64(64 << 20))},
	{Name: "cache.max_entry_bytes", Kind: Bytes, Range: positive(), Labels: true, Route: true, labelMax: 64 << 20,
		Doc:   "a response with a larger body streams through and is not kept",
		field: value(int64(1 << 20))},
	{Name: "cache.serve_stale_on_error", Kind: Duration, Range: notNegative("0: only when the response says `stale-if-error`"), Labels: true, Route: true,
		Doc:   "for this long after a stored response went stale, it answers in place of a failure: the upstream unreachable, timing out or answering `500`, `502`, `503` or `504`, its breaker open or its bulkhead full. Never in place of an answer such as `404`, and never where the response said `must-revalidate`",
		field: value(time.Duration(0))},
	{Name: "cache.default_ttl", Kind: Duration, Range: notNegative("0 disables it"), Labels: true, Route: true,
		Doc:   "opt-in: the freshness of a response that says nothing of it (no `Cache-Control` lifetime, no `Expires`) and has no validator. RFC 9111 calls this heuristic freshness; it is off unless set",
		field: value(time.Duration(0))},
	{Name: "cache.heuristic", Kind: Bool, Labels: true, Route: true,
		Doc:   "opt-in: give a response with `Last-Modified` but no lifetime a tenth of its age as freshness (RFC 9111 §4.2.2), for the status codes that allow it",
		field: value(false)},
	{Name: "cache.cdn_cache_control", Kind: Bool, Labels: true, Route: true,
		Doc:   "follow `CDN-Cache-Control` (RFC 9213) in place of `Cache-Control` and `Expires` where a response has one: set it to `false` when a CDN in front of bulwark is the cache it is meant for. `Bulwark-Cache-Control`, the same field for bulwark alone, is followed first either way",
		field: value(true)},
	{Name: "cache.lock_timeout", Kind: Duration, Range: positive(), Labels: true, Route: true,
		Doc:   "requests that miss while another request for the same key is on its way to the upstream wait for its response this long, then go on their own",
		field: value(5 * time.Second)},
}, admissionKeys, contractKeys))

// Keys returns the declaration of every policy key, in order: a copy, so no
// caller can change what the others read.
func Keys() []Key {
	out := slices.Clone(keys)
	for i := range out {
		out[i].Values = slices.Clone(out[i].Values)
	}
	return out
}

// keysByName and keysByLabel find a declaration by Name or by Label;
// labels[i] is keys[i].Label(), made once: FromMeta reads every key's label
// for each service, a thousand services at a time when Consul starts.
var keysByName, keysByLabel, labels = index(keys)

func index(keys []Key) (byName, byLabel map[string]*Key, labels []string) {
	byName, byLabel = map[string]*Key{}, map[string]*Key{}
	labels = make([]string, len(keys))
	for i := range keys {
		byName[keys[i].Name] = &keys[i]
		if l := keys[i].Label(); l != "" {
			byLabel[l] = &keys[i]
			labels[i] = l
		}
	}
	return byName, byLabel, labels
}
