package h1

import "errors"

// The transport's own errors. Everything else it returns is what the dialer,
// the connection or net/http's response parser said, unwrapped, so that a
// caller tells a dial error, a timeout (a net.Error whose Timeout is true, or
// the request context's cause) and a protocol error apart as it would for
// http.Transport's.
var (
	// ErrStaleConn marks a reused connection that failed before the upstream
	// sent a byte: the upstream had closed it while idle, so the request never
	// reached it. RoundTrip retries such a request on a new connection and
	// returns ErrStaleConn, wrapping the cause, only once those retries ran out;
	// the cause decides what the failure is (an EOF, a timeout).
	ErrStaleConn = errors.New("gateway: reused upstream connection was closed")

	// ErrMalformedResponse is the class of responses the direct path refuses to
	// read although net/http would parse them: headers beyond the limit, a
	// status code below 100, too many 1xx, a 101 nobody asked for. The text of
	// each error says which; the gateway answers all of them 502.
	ErrMalformedResponse = errors.New("malformed upstream response")
)

// malformed is an ErrMalformedResponse whose text is its reason alone.
type malformed string

func (e malformed) Error() string { return string(e) }

// Is makes errors.Is(err, ErrMalformedResponse) true.
func (malformed) Is(target error) bool { return target == ErrMalformedResponse }
