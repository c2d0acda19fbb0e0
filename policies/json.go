package policies

import (
	"encoding/json"
	"fmt"
	"time"
)

// The admin API shows policies as JSON, and people read it: a duration is
// written as Go writes it ("15s", "100ms"), as the config file and Consul meta
// spell it, never as encoding/json's count of nanoseconds (15000000000).
// Prometheus' and Caddy's APIs do the same with their durations. The fields
// stay time.Duration in Go; only the JSON form changes. Decoding accepts the
// string and, for clients written against the old form, a number of
// nanoseconds.

// jsonDuration is a time.Duration in JSON.
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("a duration is a string such as \"15s\", found %s", b)
		}
		*d = jsonDuration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = jsonDuration(v)
	return nil
}

// setDurations stores each duration that was present in the JSON.
func setDurations(pairs ...durationField) {
	for _, f := range pairs {
		if f.json != nil {
			*f.dst = time.Duration(*f.json)
		}
	}
}

// durationField is a decoded duration (nil when absent) and where it goes.
type durationField struct {
	dst  *time.Duration
	json *jsonDuration
}

// MarshalJSON writes the durations as strings ("15s").
func (p Policy) MarshalJSON() ([]byte, error) {
	type plain Policy
	return json.Marshal(struct {
		plain
		Timeout           jsonDuration `json:"timeout"`
		TryTimeout        jsonDuration `json:"try_timeout"`
		ConnectTimeout    jsonDuration `json:"connect_timeout"`
		StreamIdleTimeout jsonDuration `json:"stream_idle_timeout"`
	}{plain(p), jsonDuration(p.Timeout), jsonDuration(p.TryTimeout), jsonDuration(p.ConnectTimeout),
		jsonDuration(p.StreamIdleTimeout)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Policy) UnmarshalJSON(b []byte) error {
	type plain Policy
	aux := struct {
		*plain
		Timeout           *jsonDuration `json:"timeout"`
		TryTimeout        *jsonDuration `json:"try_timeout"`
		ConnectTimeout    *jsonDuration `json:"connect_timeout"`
		StreamIdleTimeout *jsonDuration `json:"stream_idle_timeout"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	setDurations(durationField{&p.Timeout, aux.Timeout}, durationField{&p.TryTimeout, aux.TryTimeout},
		durationField{&p.ConnectTimeout, aux.ConnectTimeout}, durationField{&p.StreamIdleTimeout, aux.StreamIdleTimeout})
	return nil
}

// MarshalJSON writes open_for as a string ("10s").
func (b Breaker) MarshalJSON() ([]byte, error) {
	type plain Breaker
	return json.Marshal(struct {
		plain
		OpenFor jsonDuration `json:"open_for"`
	}{plain(b), jsonDuration(b.OpenFor)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Breaker) UnmarshalJSON(data []byte) error {
	type plain Breaker
	aux := struct {
		*plain
		OpenFor *jsonDuration `json:"open_for"`
	}{plain: (*plain)(b)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	setDurations(durationField{&b.OpenFor, aux.OpenFor})
	return nil
}

// MarshalJSON writes queue_timeout as a string ("100ms").
func (b Bulkhead) MarshalJSON() ([]byte, error) {
	type plain Bulkhead
	return json.Marshal(struct {
		plain
		QueueTimeout jsonDuration `json:"queue_timeout"`
	}{plain(b), jsonDuration(b.QueueTimeout)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Bulkhead) UnmarshalJSON(data []byte) error {
	type plain Bulkhead
	aux := struct {
		*plain
		QueueTimeout *jsonDuration `json:"queue_timeout"`
	}{plain: (*plain)(b)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	setDurations(durationField{&b.QueueTimeout, aux.QueueTimeout})
	return nil
}

// MarshalJSON writes backoff as a string ("25ms").
func (r Retries) MarshalJSON() ([]byte, error) {
	type plain Retries
	return json.Marshal(struct {
		plain
		Backoff jsonDuration `json:"backoff"`
	}{plain(r), jsonDuration(r.Backoff)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Retries) UnmarshalJSON(data []byte) error {
	type plain Retries
	aux := struct {
		*plain
		Backoff *jsonDuration `json:"backoff"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	setDurations(durationField{&r.Backoff, aux.Backoff})
	return nil
}

// MarshalJSON writes eject_for as a string ("30s").
func (o Outlier) MarshalJSON() ([]byte, error) {
	type plain Outlier
	return json.Marshal(struct {
		plain
		EjectFor jsonDuration `json:"eject_for"`
	}{plain(o), jsonDuration(o.EjectFor)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (o *Outlier) UnmarshalJSON(data []byte) error {
	type plain Outlier
	aux := struct {
		*plain
		EjectFor *jsonDuration `json:"eject_for"`
	}{plain: (*plain)(o)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	setDurations(durationField{&o.EjectFor, aux.EjectFor})
	return nil
}
