package demo

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// faults lets a user make one sample instance slow or failing, to watch the
// gateway's breaker trip, its retries move to the other instance and its
// outlier detection eject this one, in the metrics and the admin API:
//
//	curl -X PUT 'http://INSTANCE/_demo/fault?mode=fail'           # every request answers 503
//	curl -X PUT 'http://INSTANCE/_demo/fault?mode=slow&delay=3s'  # every request waits first
//	curl -X PUT 'http://INSTANCE/_demo/fault?mode=drift'          # JSON answers lose their "status"
//	curl -X PUT 'http://INSTANCE/_demo/fault?mode=off'
//
// drift makes the instance disagree with its own document, as a service does
// after a change nobody documented: every JSON object it answers loses its
// "status" member, which the pets document requires, so the gateway's
// response check (validate.responses) has something to find.
//
// The endpoint answers only requests made to the instance directly: one that
// came through the gateway carries X-Forwarded-For and is refused, so a route
// with strip_prefix cannot expose it.
type faults struct {
	next  http.Handler
	mode  atomic.Value // "off", "fail", "slow" or "drift"
	delay atomic.Int64 // for slow
}

// faultPath is where an instance takes fault settings.
const faultPath = "/_demo/fault"

func withFaults(next http.Handler) *faults {
	f := &faults{next: next}
	f.mode.Store("off")
	return f
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == faultPath {
		f.configure(w, r)
		return
	}
	switch f.mode.Load() {
	case "fail":
		http.Error(w, "demo fault: this instance is failing on purpose", http.StatusServiceUnavailable)
		return
	case "slow":
		t := time.NewTimer(time.Duration(f.delay.Load()))
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f.mode.Load() == "drift" {
		d := &drifting{ResponseWriter: w}
		f.next.ServeHTTP(d, r)
		d.flush()
		return
	}
	f.next.ServeHTTP(w, r)
}

func (f *faults) configure(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Header.Get("X-Forwarded-For") != "":
		http.Error(w, "fault injection is only for direct requests to the instance", http.StatusForbidden)
		return
	case r.Method != http.MethodPut:
		w.Header().Set("Allow", http.MethodPut)
		http.Error(w, "use PUT", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	switch mode := q.Get("mode"); mode {
	case "off", "fail", "drift":
		f.mode.Store(mode)
	case "slow":
		d, err := time.ParseDuration(q.Get("delay"))
		if err != nil || d <= 0 || d > time.Minute {
			http.Error(w, "slow needs delay, a duration up to 1m (e.g. delay=2s)", http.StatusBadRequest)
			return
		}
		f.delay.Store(int64(d))
		f.mode.Store(mode)
	default:
		http.Error(w, "mode must be off, fail, slow or drift", http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]string{
		"mode": f.mode.Load().(string), "delay": strconv.FormatInt(f.delay.Load()/int64(time.Millisecond), 10) + "ms"})
}
