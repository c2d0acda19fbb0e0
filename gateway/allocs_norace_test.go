//go:build !race

package gateway

// raceAllocs is 0 without the race detector (allocs_race_test.go).
const raceAllocs = 0
