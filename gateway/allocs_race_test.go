//go:build race

package gateway

// raceAllocs are the allocations the race detector adds to a proxied GET
// (its instrumentation keeps a few values on the heap the compiler would
// otherwise keep on the stack): CI runs the tests with -race.
const raceAllocs = 4
