package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

const (
	// pingInterval keeps idle streams alive through proxies that time out silent
	// connections, and lets the server notice a client that went away.
	pingInterval = 15 * time.Second
	// eventWriteTimeout bounds one write to a stream, so a client that stopped reading
	// cannot hold its handler forever.
	eventWriteTimeout = 10 * time.Second
	// subscriberBuffer is how many events a slow subscriber may fall behind before it
	// misses some; publishing never blocks on a subscriber.
	subscriberBuffer = 16
)

// event is one server-sent event (the HTML "text/event-stream" format).
type event struct {
	id   int64
	name string
	data []byte // one line of JSON
}

// broker fans events out to the open streams. Its zero value is ready to use.
type broker struct {
	mu   sync.Mutex
	seq  int64
	subs map[chan event]struct{}
}

// subscribe returns a channel of the events published from now on, and the function
// that ends the subscription.
func (b *broker) subscribe() (<-chan event, func()) {
	ch := make(chan event, subscriberBuffer)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[chan event]struct{})
	}
	b.subs[ch] = struct{}{}
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, ch)
	}
}

// publish sends an event to every subscriber that has room for it.
func (b *broker) publish(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return // only plain data is published
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	ev := event{id: b.seq, name: name, data: data}
	for ch := range b.subs {
		select {
		case ch <- ev:
		default: // the subscriber is behind; it misses this event rather than stall writers
		}
	}
}

// serveStream answers a text/event-stream request: a comment at once (so the client and
// any proxy see the response start), then every published event and a ": ping" comment
// every pingInterval, each flushed, until the request or stop ends. Last-Event-ID is not
// honoured: events are not kept, so a reconnecting client starts from now.
func (b *broker) serveStream(stop context.Context, w http.ResponseWriter, r *http.Request) {
	events, unsubscribe := b.subscribe() // before the headers go out: nothing is missed after
	defer unsubscribe()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // ask buffering proxies (nginx) to pass events through
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	send := func(format string, args ...any) bool {
		rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout)) // unsupported writers just lack the bound
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(": connected\nretry: 3000\n\n") {
		return
	}
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-stop.Done():
			return
		case ev := <-events:
			if !send("event: %s\nid: %d\ndata: %s\n\n", ev.name, ev.id, ev.data) {
				return
			}
		case <-ping.C:
			if !send(": ping\n\n") {
				return
			}
		}
	}
}
