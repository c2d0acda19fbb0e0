package discovery

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Summary is Status without the list of watches, and its counts are the
// list's: the metrics read it on every scrape instead of the whole status.
func TestSummaryIsStatusWithoutTheList(t *testing.T) {
	c := newConsulStatus("127.0.0.1:8500")
	for i := range 5 {
		w := c.watch(fmt.Sprintf("service svc-%d", i))
		w.setProblems([]string{"a", "b"}[:i%3])
		if i == 3 {
			w.failed(fmt.Errorf("refused"))
		}
	}
	c.watch("catalog").succeeded(7)
	c.catalogOK = true
	full, sum := c.view(), func() ConsulStatus { c.mu.Lock(); defer c.mu.Unlock(); return c.summary() }()
	problems := 0
	for _, w := range full.Watches {
		problems += len(w.Problems)
	}
	if full.WatchCount != 6 || len(full.Watches) != 6 || full.ProblemCount != problems || problems != 4 {
		t.Fatalf("status counts %d watches (%d listed) and %d problems (%d listed)", full.WatchCount, len(full.Watches), full.ProblemCount, problems)
	}
	if sum.Watches != nil {
		t.Fatalf("the summary lists %d watches", len(sum.Watches))
	}
	full.Watches = nil
	if !reflect.DeepEqual(full, sum) {
		t.Fatalf("summary %+v\nstatus  %+v", sum, full)
	}
	if !sum.Stale || !strings.Contains(sum.StaleReason, "svc-3") {
		t.Fatalf("a failing watch does not make the summary stale: %+v", sum)
	}
}

// A service deregistered and registered again gets its new watch before the
// old one has ended (Run starts watches as it reads the list; a stopped one
// ends when its wait returns). The old watch's end must not take the
// status entry the new watch reports to.
func TestAnOldWatchEndingKeepsTheNewWatchsStatus(t *testing.T) {
	s := newConsulStatus("127.0.0.1:8500")
	s.watch("service web") // the old watch
	renewed := s.watch("service web")
	s.unwatch("service web") // the old watch ends
	renewed.seen()
	v := s.view()
	if len(v.Watches) != 1 || v.Watches[0].Name != "service web" || v.WatchCount != 1 {
		t.Fatalf("after the old watch ended: %+v, want the renewed watch listed", v)
	}
	s.unwatch("service web") // the renewed watch ends too
	if v := s.view(); len(v.Watches) != 0 {
		t.Fatalf("after both ended: %+v", v.Watches)
	}
}
