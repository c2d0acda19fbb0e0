package policies_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

func ptr[T any](v T) *T { return &v }

func TestResolve(t *testing.T) {
	builtIn := policies.Explanation{
		"timeout": "built-in", "try_timeout": "built-in", "connect_timeout": "built-in",
		"balancer": "built-in", "hash_on": "built-in",
	}
	tests := []struct {
		name   string
		layers []policies.Layer
		want   policies.Policy
		why    policies.Explanation
	}{
		{
			name:   "no layers give the built-in defaults with try_timeout equal to timeout",
			layers: nil,
			want: policies.Policy{Timeout: 15 * time.Second, TryTimeout: 15 * time.Second,
				ConnectTimeout: 2 * time.Second, Balancer: policies.Balancer{Kind: policies.RoundRobin}},
			why: builtIn,
		},
		{
			name: "a defaults layer sets only the fields it names",
			layers: []policies.Layer{{Name: "defaults", Set: policies.Overrides{
				Timeout: ptr(5 * time.Second),
			}}},
			want: policies.Policy{Timeout: 5 * time.Second, TryTimeout: 5 * time.Second,
				ConnectTimeout: 2 * time.Second, Balancer: policies.Balancer{Kind: policies.RoundRobin}},
			why: policies.Explanation{
				"timeout": "defaults", "try_timeout": "built-in", "connect_timeout": "built-in",
				"balancer": "built-in", "hash_on": "built-in",
			},
		},
		{
			name: "a later layer overrides an earlier one and is named for the fields it set",
			layers: []policies.Layer{
				{Name: "defaults", Set: policies.Overrides{
					Timeout:        ptr(10 * time.Second),
					ConnectTimeout: ptr(time.Second),
					Balancer:       ptr(policies.LeastRequest),
				}},
				{Name: "services.pets", Set: policies.Overrides{
					Timeout:    ptr(3 * time.Second),
					TryTimeout: ptr(time.Second),
					Balancer:   ptr(policies.ConsistentHash),
					HashOn:     ptr("header:X-User"),
				}},
			},
			want: policies.Policy{Timeout: 3 * time.Second, TryTimeout: time.Second, ConnectTimeout: time.Second,
				Balancer: policies.Balancer{Kind: policies.ConsistentHash, HashOn: "header:X-User"}},
			why: policies.Explanation{
				"timeout": "services.pets", "try_timeout": "services.pets", "connect_timeout": "defaults",
				"balancer": "services.pets", "hash_on": "services.pets",
			},
		},
		{
			name: "an earlier layer's value stays when a later layer leaves the field unset",
			layers: []policies.Layer{
				{Name: "defaults", Set: policies.Overrides{Balancer: ptr(policies.LeastRequest)}},
				{Name: "services.pets", Set: policies.Overrides{}},
			},
			want: policies.Policy{Timeout: 15 * time.Second, TryTimeout: 15 * time.Second,
				ConnectTimeout: 2 * time.Second, Balancer: policies.Balancer{Kind: policies.LeastRequest}},
			why: policies.Explanation{
				"timeout": "built-in", "try_timeout": "built-in", "connect_timeout": "built-in",
				"balancer": "defaults", "hash_on": "built-in",
			},
		},
		{
			name: "a try_timeout of 0 becomes the timeout",
			layers: []policies.Layer{{Name: "services.pets", Set: policies.Overrides{
				Timeout: ptr(4 * time.Second), TryTimeout: ptr(time.Duration(0)),
			}}},
			want: policies.Policy{Timeout: 4 * time.Second, TryTimeout: 4 * time.Second,
				ConnectTimeout: 2 * time.Second, Balancer: policies.Balancer{Kind: policies.RoundRobin}},
			why: policies.Explanation{
				"timeout": "services.pets", "try_timeout": "services.pets", "connect_timeout": "built-in",
				"balancer": "built-in", "hash_on": "built-in",
			},
		},
		{
			name: "a try_timeout greater than the timeout becomes the timeout",
			layers: []policies.Layer{
				{Name: "defaults", Set: policies.Overrides{TryTimeout: ptr(30 * time.Second)}},
				{Name: "services.pets", Set: policies.Overrides{Timeout: ptr(2 * time.Second)}},
			},
			want: policies.Policy{Timeout: 2 * time.Second, TryTimeout: 2 * time.Second,
				ConnectTimeout: 2 * time.Second, Balancer: policies.Balancer{Kind: policies.RoundRobin}},
			why: policies.Explanation{
				"timeout": "services.pets", "try_timeout": "defaults", "connect_timeout": "built-in",
				"balancer": "built-in", "hash_on": "built-in",
			},
		},
		{
			name: "a try_timeout equal to the timeout is kept",
			layers: []policies.Layer{{Name: "defaults", Set: policies.Overrides{
				Timeout: ptr(time.Second), TryTimeout: ptr(time.Second),
			}}},
			want: policies.Policy{Timeout: time.Second, TryTimeout: time.Second,
				ConnectTimeout: 2 * time.Second, Balancer: policies.Balancer{Kind: policies.RoundRobin}},
			why: policies.Explanation{
				"timeout": "defaults", "try_timeout": "defaults", "connect_timeout": "built-in",
				"balancer": "built-in", "hash_on": "built-in",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why, err := policies.Resolve(tt.layers...)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			// These cases are about timeouts and balancing; the resilience
			// blocks stay at their built-in values (TestResolveResilience).
			d := policies.Defaults()
			tt.want.Breaker, tt.want.Bulkhead, tt.want.Retries, tt.want.Outlier = d.Breaker, d.Bulkhead, d.Retries, d.Outlier
			tt.want.StreamIdleTimeout = d.StreamIdleTimeout
			if !got.Equal(&tt.want) {
				t.Errorf("policy = %+v, want %+v", got, tt.want)
			}
			rest := maps.Clone(why)
			maps.DeleteFunc(rest, func(k, v string) bool { _, named := tt.why[k]; return named || v == "built-in" })
			maps.DeleteFunc(why, func(k, _ string) bool { _, named := tt.why[k]; return !named })
			if !maps.Equal(why, tt.why) || len(rest) != 0 {
				t.Errorf("explanation = %v (and %v), want %v with every other field built-in", why, rest, tt.why)
			}
		})
	}
}

func TestResolveRejectsInvalidResult(t *testing.T) {
	tests := []struct {
		name    string
		layers  []policies.Layer
		wantErr string
	}{
		{
			name:    "a zero timeout is rejected",
			layers:  []policies.Layer{{Name: "defaults", Set: policies.Overrides{Timeout: ptr(time.Duration(0))}}},
			wantErr: "timeout must be positive",
		},
		{
			name:    "a negative try_timeout is rejected",
			layers:  []policies.Layer{{Name: "defaults", Set: policies.Overrides{TryTimeout: ptr(-time.Second)}}},
			wantErr: "try_timeout must not be negative",
		},
		{
			name: "hash_on set in one layer and a round robin balancer in another is rejected",
			layers: []policies.Layer{
				{Name: "defaults", Set: policies.Overrides{HashOn: ptr("header:X-User")}},
				{Name: "services.pets", Set: policies.Overrides{Balancer: ptr(policies.RoundRobin)}},
			},
			wantErr: "hash_on is only used with balancer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := policies.Resolve(tt.layers...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	valid := policies.Defaults()
	valid.TryTimeout = valid.Timeout
	with := func(change func(*policies.Policy)) policies.Policy {
		p := valid
		change(&p)
		return p
	}
	tests := []struct {
		name    string
		policy  policies.Policy
		wantErr string // "" means valid
	}{
		{
			name:   "the resolved built-in defaults are valid",
			policy: valid,
		},
		{
			name:   "the unresolved built-in defaults, with try_timeout 0, are valid",
			policy: policies.Defaults(),
		},
		{
			name:   "least_request without hash_on is valid",
			policy: with(func(p *policies.Policy) { p.Balancer = policies.Balancer{Kind: policies.LeastRequest} }),
		},
		{
			name: "consistent_hash with a path key is valid",
			policy: with(func(p *policies.Policy) {
				p.Balancer = policies.Balancer{Kind: policies.ConsistentHash, HashOn: "path:2"}
			}),
		},
		{
			name:    "a zero timeout is an error",
			policy:  with(func(p *policies.Policy) { p.Timeout = 0 }),
			wantErr: "timeout must be positive, got 0s",
		},
		{
			name:    "a negative timeout is an error",
			policy:  with(func(p *policies.Policy) { p.Timeout = -time.Second }),
			wantErr: "timeout must be positive, got -1s",
		},
		{
			name:    "a negative try_timeout is an error",
			policy:  with(func(p *policies.Policy) { p.TryTimeout = -time.Millisecond }),
			wantErr: "try_timeout must not be negative",
		},
		{
			name:    "a zero connect_timeout is an error",
			policy:  with(func(p *policies.Policy) { p.ConnectTimeout = 0 }),
			wantErr: "connect_timeout must be positive",
		},
		{
			name:    "an unknown balancer is an error",
			policy:  with(func(p *policies.Policy) { p.Balancer = policies.Balancer{Kind: "random"} }),
			wantErr: `unknown balancer "random"`,
		},
		{
			name:    "an empty balancer kind is an error",
			policy:  with(func(p *policies.Policy) { p.Balancer = policies.Balancer{} }),
			wantErr: `unknown balancer ""`,
		},
		{
			name: "hash_on with round_robin is an error",
			policy: with(func(p *policies.Policy) {
				p.Balancer = policies.Balancer{Kind: policies.RoundRobin, HashOn: "header:X-User"}
			}),
			wantErr: "hash_on is only used with balancer",
		},
		{
			name: "hash_on with least_request is an error",
			policy: with(func(p *policies.Policy) {
				p.Balancer = policies.Balancer{Kind: policies.LeastRequest, HashOn: "cookie:session"}
			}),
			wantErr: "hash_on is only used with balancer",
		},
		{
			name:    "consistent_hash without hash_on is an error",
			policy:  with(func(p *policies.Policy) { p.Balancer = policies.Balancer{Kind: policies.ConsistentHash} }),
			wantErr: "want header:NAME, cookie:NAME or path:N",
		},
		{
			name: "consistent_hash with an invalid hash_on is an error",
			policy: with(func(p *policies.Policy) {
				p.Balancer = policies.Balancer{Kind: policies.ConsistentHash, HashOn: "query:id"}
			}),
			wantErr: `unknown source "query"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate(%+v) = %v, want nil", tt.policy, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Validate(%+v) = nil, want an error containing %q", tt.policy, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("Validate(%+v) = %q, want it to contain %q", tt.policy, err, tt.wantErr)
			}
		})
	}
}

func TestResolveResilience(t *testing.T) {
	p, why, err := policies.Resolve(
		policies.Layer{Name: "defaults", Set: policies.Overrides{
			Breaker: policies.BreakerOverrides{Failures: ptr(3)},
			Retries: policies.RetriesOverrides{Attempts: ptr(3), Budget: ptr(0.5)},
		}},
		policies.Layer{Name: "services.pets", Set: policies.Overrides{
			Breaker:  policies.BreakerOverrides{OpenFor: ptr(time.Second)},
			Bulkhead: policies.BulkheadOverrides{MaxConcurrent: ptr(8)},
			Outlier:  policies.OutlierOverrides{ConsecutiveFailures: ptr(0)},
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	d := policies.Defaults()
	want := d
	want.Breaker.Failures, want.Breaker.OpenFor = 3, time.Second
	want.Retries.Attempts, want.Retries.Budget = 3, 0.5
	want.Bulkhead.MaxConcurrent = 8
	want.Outlier.ConsecutiveFailures = 0
	want.TryTimeout = want.Timeout // resolved: 0 means the whole timeout
	if !p.Equal(&want) {
		t.Errorf("policy = %+v\nwant     %+v", p, want)
	}
	for field, layer := range map[string]string{
		"breaker.failures": "defaults", "breaker.open_for": "services.pets", "breaker.half_open_requests": "built-in",
		"retries.budget": "defaults", "bulkhead.max_concurrent": "services.pets", "outlier.consecutive_failures": "services.pets",
	} {
		if why[field] != layer {
			t.Errorf("%s set by %q, want %q", field, why[field], layer)
		}
	}
	for _, bad := range []policies.Overrides{
		{Retries: policies.RetriesOverrides{Attempts: ptr(0)}},
		{Retries: policies.RetriesOverrides{Budget: ptr(1.5)}},
		{Breaker: policies.BreakerOverrides{HalfOpenRequests: ptr(0)}},
		{Bulkhead: policies.BulkheadOverrides{MaxQueue: ptr(4), QueueTimeout: ptr(time.Duration(0))}},
		{Outlier: policies.OutlierOverrides{MaxEjected: ptr(2.0)}},
	} {
		if _, _, err := policies.Resolve(policies.Layer{Name: "x", Set: bad}); err == nil {
			t.Errorf("Resolve accepted %+v", bad)
		}
	}
}
