package httpcache

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkHitRatioZipf replays a Zipf-distributed key stream (s=1.05 over
// 200k keys of 0.5–16.5 KiB) against a budget far below the key space,
// storing on every miss, and reports the hit ratio. It is how otter was
// chosen over ristretto; see the package doc and the commit that added it.
func BenchmarkHitRatioZipf(b *testing.B) {
	const keySpace = 200_000
	for _, budget := range []int64{16 << 20, 64 << 20} {
		b.Run(strconv.FormatInt(budget>>20, 10)+"MiB", func(b *testing.B) {
			keys := make([]string, keySpace)
			for i := range keys {
				keys[i] = Key("GET", "http", "example.com", "/item/"+strconv.Itoa(i), "")
			}
			res := newRes(200, "Cache-Control: max-age=600", "Date: "+httpDate(t0))
			req := newReq("GET")
			var hits, total int
			for b.Loop() {
				s := newStore(b, StoreConfig{MaxBytes: budget})
				z := rand.NewZipf(rand.New(rand.NewPCG(1, 1)), 1.05, 1, keySpace-1)
				for range 1_000_000 {
					i := z.Uint64()
					total++
					if e, _ := s.Lookup(keys[i], req); e != nil {
						hits++
						continue
					}
					size := 512 + int(i*2654435761%16384)
					_ = s.Put(NewEntry(keys[i], req, res, make([]byte, size), t0, t0, Options{}))
				}
			}
			b.ReportMetric(float64(hits)/float64(total), "hit-ratio")
		})
	}
}
