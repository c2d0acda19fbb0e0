package gateway

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"github.com/cespare/xxhash/v2"

	"github.com/bulwark-gw/bulwark/policies"
)

const (
	// ringPointsPerWeight is the number of virtual nodes per unit of weight. With 160
	// points an instance's share of the ring is within about ±10% of its due
	// (the spread shrinks as 1/sqrt(points)); it is also what ketama uses.
	ringPointsPerWeight = 160
	// ringMaxWeight caps the weight a ring honours, so that one instance holds at
	// most 10240 points. The cap depends on the instance alone, never on its
	// neighbours (unlike a GCD or a total ring size), so adding or removing an
	// instance never moves keys between the instances that stayed.
	ringMaxWeight = 64
)

// consistentHash maps a request key onto a ring of virtual nodes, so the same key
// reaches the same instance while the pool is unchanged, and a change of one
// instance in N moves only about 1/N of the keys, all to or from that instance.
// It suits caches and sticky sessions. The ring is a function of the instances'
// addresses and weights alone, hashed with xxhash: every gateway of a fleet, and
// every restart, builds the same ring and so sends a key to the same instance.
type consistentHash struct {
	key    policies.HashKey
	ups    []*Upstream
	hashes []uint64    // sorted ascending
	owners []*Upstream // owners[i] holds the arc ending at hashes[i]
	// fallback serves requests that carry no key, which would otherwise all hash
	// to the same point and land on one instance.
	fallback *roundRobin
}

func newConsistentHash(key policies.HashKey, ups []*Upstream) *consistentHash {
	type point struct {
		hash  uint64
		owner *Upstream
	}
	var points []point
	var buf []byte
	for _, u := range ups {
		n := ringPointsPerWeight * min(max(u.Weight, 1), ringMaxWeight)
		for i := range n {
			// "addr#i": the point's identity, independent of the other instances.
			buf = strconv.AppendInt(append(append(buf[:0], u.Addr...), '#'), int64(i), 10)
			points = append(points, point{xxhash.Sum64(buf), u})
		}
	}
	// Ties of two 64-bit hashes are all but impossible, but are broken by address
	// anyway so that the ring never depends on the order of construction.
	slices.SortFunc(points, func(a, b point) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.owner.Addr, b.owner.Addr))
	})
	ch := &consistentHash{
		key:      key,
		ups:      ups,
		hashes:   make([]uint64, len(points)),
		owners:   make([]*Upstream, len(points)),
		fallback: newRoundRobin(ups),
	}
	for i, p := range points {
		ch.hashes[i], ch.owners[i] = p.hash, p.owner
	}
	return ch
}

// Pick returns the instance owning the request's key, or the next available
// instance clockwise on the ring if that one is not Available. A request without
// the key is balanced round robin.
func (ch *consistentHash) Pick(r *http.Request) *Upstream {
	key, ok := ch.key.Extract(r)
	if !ok {
		return ch.fallback.Pick(r)
	}
	return ch.pickKey(key)
}

// pickKey is Pick once the key is known.
func (ch *consistentHash) pickKey(key string) *Upstream {
	n := len(ch.hashes)
	if n == 0 {
		return nil
	}
	h := xxhash.Sum64String(key)
	// The first point at or after h owns the key; past the last point the ring
	// wraps around to the first.
	i, _ := slices.BinarySearch(ch.hashes, h)
	if i == n {
		i = 0
	}
	if u := ch.owners[i]; u.Available() {
		return u
	}
	// Checking the pool first bounds the walk below when everything is down.
	if !anyUpstreamAvailable(ch.ups) {
		return nil
	}
	// Walking point by point passes over the unavailable owner's other points and
	// stops at the next distinct instance that can take the request, which is
	// where the key would go if that owner were removed from the ring.
	for k := 1; k < n; k++ {
		if u := ch.owners[(i+k)%n]; u.Available() {
			return u
		}
	}
	return nil
}
