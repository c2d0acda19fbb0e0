package ratelimit

import (
	"errors"
	"fmt"
)

// Sentinels callers can match with errors.Is.
var (
	// ErrInvalidRate is wrapped by every *RateError from ParseRate.
	ErrInvalidRate = errors.New("invalid rate")
	// ErrInvalidLimit is wrapped by every error from Limit.Validate.
	ErrInvalidLimit = errors.New("invalid limit")
	// ErrNoRedis is RedisOptions.Validate's answer when the options name
	// neither a Client nor an Addr, so every decision would be local.
	ErrNoRedis = errors.New("ratelimit: no redis client or address configured")
)

// RateError says why ParseRate refused its input.
type RateError struct {
	Input  string // the string given to ParseRate
	Reason string // what is wrong with it, e.g. "count must be a positive integer"
}

func (e *RateError) Error() string {
	return fmt.Sprintf("parsing rate %q: %s (want N/unit, e.g. 100/s, 6000/m, 10/h or 5/10s)", e.Input, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidRate) hold.
func (e *RateError) Unwrap() error { return ErrInvalidRate }

// StoreError is a failure of the shared store (Redis) that made a decision
// fall back to the local limiter. OnFallback receives it.
type StoreError struct {
	Err error // from go-redis: a dial, timeout, or server error
}

func (e *StoreError) Error() string { return "ratelimit: deciding in redis: " + e.Err.Error() }

// Unwrap exposes the go-redis error, e.g. for errors.Is(err, context.DeadlineExceeded).
func (e *StoreError) Unwrap() error { return e.Err }
