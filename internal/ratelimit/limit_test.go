package ratelimit

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestLimitValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		lim  Limit
		ok   bool
	}{
		{"a rate with the default burst is valid", Limit{N: 1, Per: time.Second}, true},
		{"a rate with an explicit burst is valid", Limit{N: 10, Per: time.Minute, Burst: 3}, true},
		{"the zero limit is invalid", Limit{}, false},
		{"a zero period is invalid", Limit{N: 1}, false},
		{"a negative burst is invalid", Limit{N: 1, Per: time.Second, Burst: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.lim.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidLimit)) {
				t.Fatalf("Validate(%+v) = %v", tc.lim, err)
			}
		})
	}
}

func TestSetHeaders(t *testing.T) {
	perMinute := Limit{N: 100, Per: time.Minute}
	for _, tc := range []struct {
		name   string
		d      Decision
		policy string
		lim    Limit
		want   http.Header
	}{
		{
			"an allowed request names the policy, what remains and when the bucket is full",
			Decision{Allowed: true, Limit: 100, Remaining: 42, ResetAfter: 34500 * time.Millisecond},
			"default", perMinute,
			http.Header{
				"Ratelimit-Policy": {`"default";q=100;w=60`},
				"Ratelimit":        {`"default";r=42;t=35`},
			},
		},
		{
			"a refused request adds Retry-After, and t names the same moment",
			Decision{Limit: 100, RetryAfter: 600 * time.Millisecond, ResetAfter: time.Minute},
			"default", perMinute,
			http.Header{
				"Ratelimit-Policy": {`"default";q=100;w=60`},
				"Ratelimit":        {`"default";r=0;t=1`},
				"Retry-After":      {"1"},
			},
		},
		{
			"Retry-After is at least one second",
			Decision{Limit: 100},
			"p", perMinute,
			http.Header{
				"Ratelimit-Policy": {`"p";q=100;w=60`},
				"Ratelimit":        {`"p";r=0;t=1`},
				"Retry-After":      {"1"},
			},
		},
		{
			"whole seconds round up",
			Decision{Limit: 5, RetryAfter: 2*time.Second + time.Nanosecond},
			"p", Limit{N: 5, Per: 1500 * time.Millisecond},
			http.Header{
				"Ratelimit-Policy": {`"p";q=5;w=2`},
				"Ratelimit":        {`"p";r=0;t=3`},
				"Retry-After":      {"3"},
			},
		},
		{
			"a full bucket resets in 0 seconds",
			Decision{Allowed: true, Limit: 10, Remaining: 10},
			"p", Limit{N: 10, Per: time.Hour},
			http.Header{
				"Ratelimit-Policy": {`"p";q=10;w=3600`},
				"Ratelimit":        {`"p";r=10;t=0`},
			},
		},
		{
			"quotes and backslashes in the policy name are escaped",
			Decision{Allowed: true, Limit: 1, Remaining: 0, ResetAfter: time.Second},
			`a"b\c`, Limit{N: 1, Per: time.Second},
			http.Header{
				"Ratelimit-Policy": {`"a\"b\\c";q=1;w=1`},
				"Ratelimit":        {`"a\"b\\c";r=0;t=1`},
			},
		},
		{
			"bytes an sf-string cannot hold become question marks",
			Decision{Allowed: true, Limit: 1, ResetAfter: time.Second},
			"caf\u00e9\n", Limit{N: 1, Per: time.Second},
			http.Header{
				"Ratelimit-Policy": {`"caf???";q=1;w=1`},
				"Ratelimit":        {`"caf???";r=0;t=1`},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			tc.d.SetHeaders(h, tc.policy, tc.lim)
			if !reflect.DeepEqual(h, tc.want) {
				t.Fatalf("got %v\nwant %v", h, tc.want)
			}
		})
	}
}

func TestValidPolicyName(t *testing.T) {
	for name, want := range map[string]bool{"default": true, `a "quoted" name`: true, "": true, "tab\there": false, "caf\u00e9": false} {
		if got := ValidPolicyName(name); got != want {
			t.Errorf("ValidPolicyName(%q) = %v, want %v", name, got, want)
		}
	}
}
