//go:build race

package discovery

// raceEnabled: the race detector's instrumentation makes frames and stack
// guards larger, so stack sizes are not what a release build has.
const raceEnabled = true
