package ratelimit

import (
	"net/http"
	"strconv"
	"time"

	"github.com/bulwark-gw/bulwark/internal/sfv"
)

// Decision is one request's answer.
type Decision struct {
	Allowed    bool
	Limit      int           // the Limit's N
	Remaining  int           // requests that would be allowed right now; 0 when refused
	RetryAfter time.Duration // when refused: until one more request is allowed; else 0
	ResetAfter time.Duration // until the bucket is full again
	Fallback   bool          // decided locally because the shared store failed
}

// refuse is the answer under an invalid Limit: nothing is allowed.
func refuse(l Limit) Decision { return Decision{Limit: l.N} }

// SetHeaders writes the rate-limit fields of
// draft-ietf-httpapi-ratelimit-headers-11 (May 2026), which are Structured
// Fields (RFC 9651):
//
//	RateLimit-Policy: "<policy>";q=<N>;w=<Per in seconds>
//	RateLimit: "<policy>";r=<Remaining>;t=<seconds>
//
// and, when the request was refused, Retry-After: <seconds>. Seconds are
// whole and rounded up (the draft has no sub-second precision; rounding down
// would invite a retry that is refused again), and Retry-After is at least 1.
// t is the time until the bucket is full again; on a refusal it is the
// Retry-After value instead, as the draft asks that both name the same moment.
//
// The policy name is written as an sf-string: '"' and '\' are escaped, and a
// byte an sf-string cannot hold (a control character or non-ASCII) becomes
// '?', so a bad name never yields a malformed field. Names are better checked
// with ValidPolicyName when the configuration is loaded.
func (d Decision) SetHeaders(h http.Header, policy string, lim Limit) {
	name := sfv.String(policy)
	h.Set("RateLimit-Policy", name+";q="+strconv.Itoa(lim.N)+";w="+strconv.FormatInt(ceilSeconds(lim.Per), 10))
	reset := ceilSeconds(d.ResetAfter)
	if !d.Allowed {
		retry := max(ceilSeconds(d.RetryAfter), 1)
		reset = retry
		h.Set("Retry-After", strconv.FormatInt(retry, 10))
	}
	h.Set("RateLimit", name+";r="+strconv.Itoa(max(d.Remaining, 0))+";t="+strconv.FormatInt(reset, 10))
}

// ValidPolicyName reports whether name can be written as an sf-string
// unchanged: printable ASCII only (RFC 9651, section 3.3.3).
func ValidPolicyName(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] > 0x7e {
			return false
		}
	}
	return true
}

// ceilSeconds is d in whole seconds, rounded up; negative durations are 0.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}
