package httpcache

import (
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-gw/bulwark/internal/sfv"
)

// CacheStatus builds one member of a Cache-Status field value (RFC 9211),
// e.g. `bulwark; hit; ttl=37` or `bulwark; fwd=miss; stored`. The zero
// value with a Name formats as a bare name. Values that are not valid
// structured-field tokens are written as sf-strings.
type CacheStatus struct {
	Name      string        // the cache's identifier, e.g. "bulwark"
	Hit       bool          // served from cache without going forward (§2.1)
	Fwd       string        // why the request went forward: bypass, method, uri-miss, vary-miss, miss, request, stale, partial (§2.2)
	FwdStatus int           // status the next hop returned, when forwarded (§2.3)
	TTL       time.Duration // remaining freshness, may be negative (§2.4); used when HasTTL
	HasTTL    bool
	Stored    bool   // the forwarded response was stored (§2.5)
	Collapsed bool   // the request was coalesced with another (§2.6)
	Key       string // the cache key, if worth exposing (§2.7)
	Detail    string // implementation detail, e.g. "stale-if-error" (§2.8)
}

// String formats the member.
func (c CacheStatus) String() string {
	var b strings.Builder
	sfv.WriteItem(&b, c.Name)
	if c.Hit {
		b.WriteString("; hit")
	}
	if c.Fwd != "" {
		b.WriteString("; fwd=")
		sfv.WriteItem(&b, c.Fwd)
	}
	if c.FwdStatus != 0 {
		b.WriteString("; fwd-status=")
		b.WriteString(strconv.Itoa(c.FwdStatus))
	}
	if c.HasTTL {
		b.WriteString("; ttl=")
		b.WriteString(strconv.FormatInt(int64(c.TTL/time.Second), 10))
	}
	if c.Stored {
		b.WriteString("; stored")
	}
	if c.Collapsed {
		b.WriteString("; collapsed")
	}
	if c.Key != "" {
		b.WriteString("; key=")
		sfv.WriteString(&b, c.Key)
	}
	if c.Detail != "" {
		b.WriteString("; detail=")
		sfv.WriteItem(&b, c.Detail)
	}
	return b.String()
}
