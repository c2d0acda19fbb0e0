package gateway

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/bulwark-gw/bulwark/policies"
)

// newStagedHarness is newHarness with extra stages where a new one would be
// listed: request stages after the service stage, response stages before the
// trace stage. The chain is changed before the server starts, as newChain
// would have built it.
func newStagedHarness(t testing.TB, cfg Config, snap *discovery.Snapshot, req []requestStage, res []responseStage) *harness {
	t.Helper()
	h := &harness{reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	h.g = New(Options{
		Logger:     slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: h.reg,
	})
	c := *h.g.chain
	c.request = append(slices.Clip(c.request), req...)
	c.response = append(slices.Clip(res), c.response...)
	h.g.chain = &c
	h.g.Configure(cfg, snap)
	h.srv = httptest.NewUnstartedServer(h.g)
	h.srv.Config.ErrorLog = discardLog()
	h.srv.Start()
	h.client = h.srv.Client()
	t.Cleanup(func() {
		h.srv.Close()
		h.g.closeIdle()
	})
	return h
}

// answerStage answers every request itself, as a cache hit would.
type answerStage struct{}

func (answerStage) request(w http.ResponseWriter, _ *http.Request, ex *exchange) error {
	w.Header().Set("X-Answered-By", ex.svc.name)
	_, _ = io.WriteString(w, "from the stage")
	return errAnswered
}

// refuseStage refuses every request, as an access check would.
type refuseStage struct{}

func (refuseStage) request(http.ResponseWriter, *http.Request, *exchange) error {
	return &BadRequestError{Reason: "not admitted"}
}

// countStage counts the requests that reach it.
type countStage struct{ n *atomic.Int64 }

func (s countStage) request(http.ResponseWriter, *http.Request, *exchange) error {
	s.n.Add(1)
	return nil
}

// gateStage refuses every request once refuse is set.
type gateStage struct{ refuse atomic.Bool }

func (s *gateStage) request(http.ResponseWriter, *http.Request, *exchange) error {
	if s.refuse.Load() {
		return &BadRequestError{Reason: "not admitted"}
	}
	return nil
}

// headerStage adds a response header.
type headerStage struct{ name, value string }

func (s headerStage) response(res *http.Response, _ *exchange) error {
	res.Header.Add(s.name, s.value)
	return nil
}

// failStage fails every response.
type failStage struct{}

func (failStage) response(*http.Response, *exchange) error { return errors.New("response refused") }

func petsConfig(up *upstream) (Config, *discovery.Snapshot) {
	return Config{Routes: []Route{{Name: "pets", Path: "/pets", Service: "pets"}}},
		&discovery.Snapshot{Services: pmap.From(map[string][]discovery.Instance{"pets": {{ID: up.Addr(), Addr: up.Addr()}}})}
}

func TestARequestStageThatAnswersEndsTheChainAndIsRecorded(t *testing.T) {
	up := newUpstream(t, "pets", nil)
	cfg, snap := petsConfig(up)
	cfg.AccessLog = true
	var later atomic.Int64
	h := newStagedHarness(t, cfg, snap, []requestStage{answerStage{}, countStage{&later}}, nil)

	res, body := h.get(t, "/pets/1")
	if res.StatusCode != http.StatusOK || string(body) != "from the stage" {
		t.Fatalf("GET /pets/1 = %d %q, want 200 from the stage", res.StatusCode, body)
	}
	mustHeader(t, res.Header, "X-Answered-By", "pets")
	if up.Count() != 0 || later.Load() != 0 {
		t.Errorf("after the answer: upstream saw %d requests, the next stage %d; want none", up.Count(), later.Load())
	}
	if v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"route": "pets", "service": "pets", "code": "200"}); v != 1 {
		t.Errorf("bulwark_requests_total{route=pets,code=200} = %v, want 1: an answered request is recorded", v)
	}
	if v, _ := metricValue(t, h.reg, "bulwark_requests_in_flight", map[string]string{"route": "pets", "service": "pets"}); v != 0 {
		t.Errorf("bulwark_requests_in_flight = %v after the answer, want 0", v)
	}
}

func TestARequestStageThatRefusesAnswersProblemJSONAndNothingLaterRuns(t *testing.T) {
	up := newUpstream(t, "pets", nil)
	cfg, snap := petsConfig(up)
	var later atomic.Int64
	h := newStagedHarness(t, cfg, snap, []requestStage{refuseStage{}, countStage{&later}}, nil)

	res, body := h.get(t, "/pets/1")
	p := problemOf(t, res, body)
	if res.StatusCode != http.StatusBadRequest || p.Detail != "not admitted" {
		t.Errorf("GET /pets/1 = %d %q, want 400 %q", res.StatusCode, p.Detail, "not admitted")
	}
	if up.Count() != 0 || later.Load() != 0 {
		t.Errorf("after the refusal: upstream saw %d requests, the next stage %d; want none", up.Count(), later.Load())
	}
}

// The guard comes after every request stage: a request a stage refuses takes
// no bulkhead slot, and is refused for its own reason even when the bulkhead
// is full.
func TestARequestRefusedByAStageNeverReachesTheGuard(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, "pets", func(w http.ResponseWriter, _ *http.Request) {
		<-release
		w.WriteHeader(http.StatusNoContent)
	})
	cfg, snap := petsConfig(up)
	p := policy(30*time.Second, 0, policies.Balancer{})
	p.Bulkhead = policies.Bulkhead{MaxConcurrent: 1}
	cfg.Policies = map[string]policies.Policy{"pets": p}
	gate := &gateStage{}
	h := newStagedHarness(t, cfg, snap, []requestStage{gate}, nil)

	held := make(chan int, 1)
	go func() {
		res, err := h.client.Get(h.url("/pets/held"))
		if err != nil {
			held <- 0
			return
		}
		res.Body.Close()
		held <- res.StatusCode
	}()
	eventually(t, "the first request holds the bulkhead's one slot", func() bool { return up.Count() == 1 })

	gate.refuse.Store(true)
	res, body := h.get(t, "/pets/refused")
	if pr := problemOf(t, res, body); res.StatusCode != http.StatusBadRequest || pr.Detail != "not admitted" {
		t.Errorf("with the bulkhead full, a refused request = %d %q; want the stage's 400, not the bulkhead's 503", res.StatusCode, pr.Detail)
	}
	close(release)
	if code := <-held; code != http.StatusNoContent {
		t.Errorf("the held request = %d, want 204", code)
	}
}

func TestResponseStagesRunInOrderAndTheTraceHeadersComeLast(t *testing.T) {
	up := newUpstream(t, "pets", nil)
	cfg, snap := petsConfig(up)
	h := newStagedHarness(t, cfg, snap, nil, []responseStage{
		headerStage{"X-Stage", "first"},
		headerStage{"X-Stage", "second"},
		headerStage{"X-Request-Id", "forged"},
	})

	res, _ := h.get(t, "/pets/1", "X-Request-Id: abc-123")
	if got := res.Header.Values("X-Stage"); !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("X-Stage = %q, want [first second]: the stages in their order", got)
	}
	mustHeader(t, res.Header, "X-Request-Id", "abc-123")
	if res.Header.Get("Server-Timing") == "" {
		t.Error("no Server-Timing header")
	}
}

func TestAResponseStageThatFailsAnswers502(t *testing.T) {
	up := newUpstream(t, "pets", nil)
	cfg, snap := petsConfig(up)
	h := newStagedHarness(t, cfg, snap, nil, []responseStage{failStage{}})

	res, body := h.get(t, "/pets/1")
	problemOf(t, res, body)
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("GET /pets/1 = %d, want 502", res.StatusCode)
	}
}
