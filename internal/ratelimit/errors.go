package ratelimit

import (
	"errors"
)

// Sentinels callers can match with errors.Is.
var (
	// ErrInvalidLimit is wrapped by every error from Limit.Validate.
	ErrInvalidLimit = errors.New("invalid limit")
	// ErrNoRedis is RedisOptions.Validate's answer when the options name
	// neither a Pool nor an Addr, so every decision would be local.
	ErrNoRedis = errors.New("ratelimit: no redis pool or address configured")
)

// StoreError is a failure of the shared store (Redis) that made a decision
// fall back to the local limiter. OnFallback receives it.
type StoreError struct {
	Err error // from redigo: a dial, timeout, or server error
}

func (e *StoreError) Error() string { return "ratelimit: deciding in redis: " + e.Err.Error() }

// Unwrap exposes the redigo error, e.g. for errors.Is(err, context.DeadlineExceeded).
func (e *StoreError) Unwrap() error { return e.Err }
