package gateway

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bulwark-gw/bulwark/internal/redistest"
	"github.com/bulwark-gw/bulwark/policies"
)

// BenchmarkAdmission is BenchmarkGatewayProxy's request through routes that
// admit callers, each against the same route without admission ("none") in
// the same run: the cost of a JWT verification, an API key, a local and a
// shared (Redis) rate limit per request. bench/RESULTS.md has the ratios.
func BenchmarkAdmission(b *testing.B) {
	up := benchUpstream(b)
	is := newIssuer(b)
	token := is.token(b, jwt.MapClaims{"sub": "bench", "exp": time.Now().Add(24 * time.Hour).Unix()})
	never := policies.Rate{N: 1 << 30, Per: time.Second} // counted, never refused
	cases := []struct {
		name    string
		set     map[string]any
		header  string
		redis   bool
		consume map[string]Consumer
	}{
		{name: "none", set: map[string]any{}},
		{name: "api_key", set: map[string]any{"auth.api_keys.enabled": true}, header: "X-Api-Key: k",
			consume: map[string]Consumer{"bench": keyOf("k")}},
		{name: "jwt", set: map[string]any{"auth.jwt.jwks_url": is.srv.URL}, header: "Authorization: Bearer " + token},
		{name: "rate_limit_local", set: map[string]any{"rate_limit.rate": never}},
		{name: "rate_limit_shared", set: map[string]any{"rate_limit.rate": never, "rate_limit.shared": true}, redis: true},
		{name: "cors_ip_jwt_limit", set: map[string]any{"auth.jwt.jwks_url": is.srv.URL, "rate_limit.rate": never,
			"cors.origins": policies.ListOf("https://app.example.com"), "ip.allow": policies.ListOf("127.0.0.0/8")},
			header: "Authorization: Bearer " + token},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var redisCfg *RedisConfig
			if c.redis {
				srv := redistest.New(b)
				redisCfg = &RedisConfig{Address: srv.Addr()}
			}
			h := admitHarness(b, up, c.set, c.consume, func(cfg *Config) { cfg.Redis = redisCfg })
			var headers []string
			if c.header != "" {
				headers = append(headers, c.header)
			}
			if res, body := h.get(b, "/pets/1", headers...); res.StatusCode != http.StatusOK {
				b.Fatalf("status %d: %s", res.StatusCode, body)
			}
			client := benchClient(b)
			b.ReportAllocs()
			b.SetBytes(int64(len(benchBody)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := client.Do(newRequest(b, http.MethodGet, h.url("/pets/1"), nil, headers...))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
		})
	}
}
