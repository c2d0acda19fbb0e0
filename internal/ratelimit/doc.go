// Package ratelimit decides whether one more request under a key (a client
// IP, a consumer, a header value, a route) fits its rate limit. The gateway's
// admission stage builds the key, asks a Limiter, and writes the response;
// this package only decides, so it imports nothing from bulwark, never logs
// (it reports through counters and a callback) and starts no goroutine of its
// own.
//
// # Two limiters, one meaning
//
// A Limit is a token bucket: it holds Burst tokens (N when Burst is 0),
// refills at N per Per, and each request takes one token. Both limiters give
// the same answer for the same history:
//
//   - Local keeps one bucket per key in this process, built on
//     golang.org/x/time/rate. It is exact and fast, but each gateway counts
//     alone: three gateways behind one load balancer admit three times N.
//   - Redis keeps the state in Redis so that several gateways hold one global
//     limit. It runs GCRA (the generic cell rate algorithm, the token bucket
//     expressed as one "theoretical arrival time" per key) as a Lua script
//     of its own (gcra.go) through github.com/gomodule/redigo, with Redis's
//     own TIME as the clock, so gateways whose clocks disagree still agree
//     on the limit. TestRedisAgreesWithLocal holds the two to one meaning.
//
// Until issue 19 the script was github.com/go-redis/redis_rate's, over
// go-redis, whose command set made 8 of the released binary's 29.5 MB for
// the one command used here; TestRedisAgreesWithRedisRate keeps this script
// to its decisions. Its keys were named "rate:"+Prefix+key; these name the
// limit too (Redis.key), so while gateways of both kinds share one Redis
// during an upgrade each kind counts on its own (the limit is at most twice
// N for that time).
//
// # Fallback policy
//
// When Redis fails (unreachable, slow past RedisOptions.Timeout, or
// answering with an error), Redis decides that request with its Local
// fallback under the same key and the same Limit, and marks the Decision
// Fallback. Each gateway then enforces the full limit on its own, so during
// the outage the global limit loosens to N times the number of gateways; it
// never fails open (no limit at all) and never refuses all traffic because a
// dependency is down. After a failure Redis is skipped for RetryAfterFailure
// (default 1 s) so that an unreachable Redis does not add a timeout to every
// request; then one request probes it, and shared decisions resume when the
// probe succeeds. Every fallback and every failure is counted, and
// OnFallback is called at most once per failure window so the gateway can log
// without flooding.
//
// # Headers
//
// Decision.SetHeaders writes the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers-11 and, on refusal, Retry-After.
package ratelimit
