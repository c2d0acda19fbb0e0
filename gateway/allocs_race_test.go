//go:build race

package gateway

// raceAllocs are the allocations the race detector adds to a proxied GET:
// its instrumentation keeps a few values on the heap the compiler would
// otherwise keep on the stack (4), and sync.Pool drops a quarter of what is
// put back under -race, on purpose, so the upstream connection's pooled
// read and write buffers (internal/h1) are now and then made anew: about one
// allocation per request on average, two at worst. CI runs the tests with
// -race.
const raceAllocs = 6
