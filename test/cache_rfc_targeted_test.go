package test

// The cache against RFC 9213 (targeted cache control: CDN-Cache-Control and
// bulwark's own Bulwark-Cache-Control) and the qualified no-cache of RFC 9111
// §5.2.2.4, through the real gateway and a real origin: what the client got,
// and how many requests reached the origin.

import (
	"testing"
	"time"
)

func TestCacheRFC9213TargetedCacheControl(t *testing.T) {
	o := newCacheOrigin(t)
	gw := startServe(t, renderCacheConfig(o.Addr(), cacheService{
		Name: "c", Policy: cacheOn(),
		Routes: []cacheRoute{
			{Path: "/"},
			{Path: "/nocdn", Cache: "{enabled: true, cdn_cache_control: false}"},
		},
	}))
	future := httpDate(time.Hour)
	runCacheCases(t, gw, o, "targeted", []cacheCase{
		{"CDN-Cache-Control max-age stores what Cache-Control no-store would not, and both reach the client",
			answer(200, "Cache-Control", "no-store", "CDN-Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1, CS: []string{"stored"}},
				{Origin: 1, From: 1, CS: []string{"hit"}, Check: checks(headerIs("Cache-Control", "no-store"), headerIs("CDN-Cache-Control", "max-age=60"))},
			}},
		{"CDN-Cache-Control no-store keeps out what Cache-Control max-age and Expires would store",
			answer(200, "Cache-Control", "max-age=60", "Expires", future, "CDN-Cache-Control", "no-store"), []step{
				{Origin: 1, From: 1, CS: []string{"!stored"}},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"CDN-Cache-Control private keeps it out too",
			answer(200, "Cache-Control", "max-age=60", "CDN-Cache-Control", "private"), []step{
				{Origin: 1, From: 1, CS: []string{"!stored"}},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"CDN-Cache-Control max-age=0 is stale at once, whatever Expires says",
			answer(200, "CDN-Cache-Control", "max-age=0", "Expires", future), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a CDN-Cache-Control that is not a Structured Field is ignored: Cache-Control applies",
			answer(200, "Cache-Control", "max-age=60", "CDN-Cache-Control", "max-age= 0"), []step{
				{Origin: 1, From: 1, CS: []string{"stored"}},
				{Origin: 1, From: 1, CS: []string{"hit"}},
			}},
		{"Bulwark-Cache-Control comes before CDN-Cache-Control",
			answer(200, "Bulwark-Cache-Control", "max-age=60", "CDN-Cache-Control", "no-store"), []step{
				{Origin: 1, From: 1, CS: []string{"stored"}},
				{Origin: 1, From: 1, CS: []string{"hit"}},
			}},
		{"qualified no-cache: the response is reused, without the fields it lists",
			answer(200, "Cache-Control", `max-age=60, no-cache="X-Session"`, "X-Session", "s1", "X-Kept", "k"), []step{
				{Origin: 1, From: 1, Check: headerIs("X-Session", "s1")},
				{Origin: 1, From: 1, CS: []string{"hit"}, Check: checks(headerIs("X-Session", ""), headerIs("X-Kept", "k"))},
			}},
	})
	// cdn_cache_control: false leaves CDN-Cache-Control to a CDN in front.
	runCacheCases(t, gw, o, "nocdn", []cacheCase{
		{"with cdn_cache_control off, CDN-Cache-Control does not make a no-store response storable",
			answer(200, "Cache-Control", "no-store", "CDN-Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1, CS: []string{"!stored"}},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"with cdn_cache_control off, Bulwark-Cache-Control still counts",
			answer(200, "Cache-Control", "no-store", "Bulwark-Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1, CS: []string{"stored"}},
				{Origin: 1, From: 1, CS: []string{"hit"}},
			}},
	})
}
