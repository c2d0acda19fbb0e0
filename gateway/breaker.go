package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/bulwark-gw/bulwark/policies"
)

// breaker is a service's circuit breaker: gobreaker's two-step form (Allow, then
// report the outcome), plus what operators need that gobreaker does not keep:
// why it last opened, since when, and a manual override.
//
// Outcomes are counted per client request, after retries: a request a retry
// saved is a success. Failures are 5xx answers, connect errors and timeouts;
// 4xx answers and clients that left are not counted at all (a client giving up
// says nothing about the upstream), which is gobreaker's IsExcluded.
type breaker struct {
	service string
	policy  policies.Breaker
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu         sync.Mutex
	lastReason string    // the failure that opened it last
	openedAt   time.Time // when it last opened
	forced     atomic.Int32
}

// Manual overrides, set through the admin API with the write token.
const (
	forceNone int32 = iota
	forceOpen
	forceClosed
)

// errExcluded marks an outcome the breaker must not count.
var errExcluded = errors.New("not counted")

func newBreaker(service string, p policies.Breaker, m *metrics, log *slog.Logger) *breaker {
	if p.Failures <= 0 {
		return nil
	}
	b := &breaker{service: service, policy: p}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        service,
		MaxRequests: uint32(p.HalfOpenRequests),
		Timeout:     p.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(p.Failures) },
		IsExcluded:  func(err error) bool { return errors.Is(err, errExcluded) },
		// Called with gobreaker's lock held: it must not call the breaker back.
		OnStateChange: func(_ string, from, to gobreaker.State) {
			b.mu.Lock()
			reason := b.lastReason
			if to == gobreaker.StateOpen {
				b.openedAt = time.Now()
			}
			b.mu.Unlock()
			m.breakerTransitions.WithLabelValues(service, stateName(to)).Inc()
			log.Warn("circuit breaker changed state", "service", service, "from", stateName(from),
				"to", stateName(to), "last_failure", reason)
		},
	})
	return b
}

// allow asks to send a request. The returned done must be called once with the
// request's outcome: nil for success, errExcluded to not count it, or the failure.
func (b *breaker) allow() (done func(error), err error) {
	if b == nil {
		return func(error) {}, nil
	}
	switch b.forced.Load() {
	case forceOpen:
		return nil, ErrBreakerOpen
	case forceClosed:
		return func(error) {}, nil
	}
	d, err := b.cb.Allow()
	if err != nil {
		return nil, ErrBreakerOpen
	}
	return func(outcome error) {
		if outcome != nil && !errors.Is(outcome, errExcluded) {
			b.mu.Lock()
			b.lastReason = outcome.Error()
			b.mu.Unlock()
		}
		d(outcome)
	}, nil
}

// retryAfter is how long until the breaker next lets a probe through.
func (b *breaker) retryAfter() time.Duration {
	if b == nil {
		return time.Second
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if left := time.Until(b.openedAt.Add(b.policy.OpenFor)); left > 0 {
		return left
	}
	return time.Second
}

// BreakerView is a breaker as the admin API shows it.
type BreakerView struct {
	Service             string    `json:"service"`
	State               string    `json:"state"`
	Forced              string    `json:"forced,omitempty"`
	ConsecutiveFailures uint32    `json:"consecutive_failures"`
	Requests            uint32    `json:"requests"`
	LastFailure         string    `json:"last_failure,omitempty"`
	OpenedAt            time.Time `json:"opened_at,omitzero"`
}

func (b *breaker) view() BreakerView {
	c := b.cb.Counts()
	b.mu.Lock()
	defer b.mu.Unlock()
	v := BreakerView{Service: b.service, State: stateName(b.cb.State()), ConsecutiveFailures: c.ConsecutiveFailures,
		Requests: c.Requests, LastFailure: b.lastReason, OpenedAt: b.openedAt}
	switch b.forced.Load() {
	case forceOpen:
		v.Forced = "open"
	case forceClosed:
		v.Forced = "closed"
	}
	return v
}

// stateValue is the bulwark_breaker_state gauge: 0 closed, 1 half-open, 2 open.
func (b *breaker) stateValue() float64 {
	switch {
	case b.forced.Load() == forceOpen:
		return 2
	case b.forced.Load() == forceClosed:
		return 0
	}
	switch b.cb.State() {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	}
	return 0
}

func stateName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return "open"
	case gobreaker.StateHalfOpen:
		return "half_open"
	}
	return "closed"
}

// breakerOutcome is what a finished request tells the breaker: a failure for
// 5xx answers and upstream errors, nothing at all for requests the client
// abandoned or sent badly, success otherwise.
func breakerOutcome(ex *exchange) error {
	switch {
	case ex.err != nil && (errors.Is(ex.err, ErrClientGone) || errors.Is(ex.err, ErrBadRequest) ||
		errors.Is(ex.err, ErrRequestTimeout)):
		return errExcluded
	case ex.err != nil:
		return ex.err
	case ex.status >= 500:
		return fmt.Errorf("upstream answered %d", ex.status)
	}
	return nil
}
