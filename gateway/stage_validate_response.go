package gateway

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// validateResponseStage checks a sample of responses against the document
// (validate.responses: report; validate.sample of them): whether the status
// is declared, the content type, the body's schema. It is first of the
// response stages, so it sees the response as the upstream sent it. It
// costs the response nothing on its way: the body is copied as it streams
// to the client (up to validate.max_body_bytes), and the check runs on the
// gateway's one checker goroutine, from a bounded queue; when the queue is
// full the sample is dropped and counted, never waited for.
type validateResponseStage struct{ g *Gateway }

func (s validateResponseStage) response(res *http.Response, ex *exchange) error {
	if ex.contract == nil || ex.contractOp == "" {
		return nil
	}
	svc, max := ex.route.Service, validateMaxBody.Of(ex.policy)
	if res.ContentLength > max {
		s.g.contractMetrics.responses.WithLabelValues(svc, "too_large").Inc()
		return nil
	}
	job := responseJob{service: svc, op: ex.contractOp, status: res.StatusCode, contract: ex.contract,
		header: res.Header.Clone()} // the document may declare any header; the proxy goes on changing them
	if res.Body == nil || res.Body == http.NoBody {
		s.g.checker.enqueue(job)
		return nil
	}
	res.Body = &teeToCheck{ReadCloser: res.Body, max: max, job: job, checker: &s.g.checker}
	return nil
}

// teeToCheck copies a response body as the client reads it, and hands the
// copy to the checker when the body is done. A body that outgrows max, or
// is cut short, is not checked.
type teeToCheck struct {
	io.ReadCloser
	buf     bytes.Buffer
	max     int64
	over    bool
	done    bool
	job     responseJob
	checker *responseChecker
}

func (t *teeToCheck) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if !t.over {
		if int64(t.buf.Len()+n) > t.max {
			t.over = true
			t.buf = bytes.Buffer{}
		} else {
			t.buf.Write(p[:n])
		}
	}
	if err == io.EOF && !t.done {
		t.done = true
		if !t.over {
			t.job.body = t.buf.Bytes()
			t.checker.enqueue(t.job)
		}
	}
	return n, err
}

// responseJob is one sampled response to check.
type responseJob struct {
	service, op string
	status      int
	header      http.Header
	body        []byte
	contract    Contract
}

// responseChecker is the goroutine that checks sampled responses, started
// on the first sample and stopped by Gateway.Close.
type responseChecker struct {
	g     *Gateway
	mu    sync.Mutex // guards what follows, and sending on jobs
	jobs  chan responseJob
	done  chan struct{}
	close bool
}

// checkQueue bounds the samples waiting for the checker.
const checkQueue = 256

func (c *responseChecker) enqueue(j responseJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.close {
		return
	}
	if c.jobs == nil {
		c.jobs, c.done = make(chan responseJob, checkQueue), make(chan struct{})
		go c.run(c.jobs, c.done)
	}
	select {
	case c.jobs <- j:
	default:
		c.g.contractMetrics.responses.WithLabelValues(j.service, "dropped").Inc()
	}
}

func (c *responseChecker) run(jobs <-chan responseJob, done chan<- struct{}) {
	defer close(done)
	for j := range jobs {
		vs := j.contract.Response(j.op, j.status, j.header, j.body)
		c.g.contracts.of(j.service).response(j.op, j.status, vs)
		result := "valid"
		if len(vs) > 0 {
			result = "invalid"
		}
		c.g.contractMetrics.responses.WithLabelValues(j.service, result).Inc()
		for _, v := range vs {
			c.g.contractMetrics.violations.WithLabelValues(j.service, "response", v.Kind).Inc()
		}
	}
}

// stop ends the checker once the queued samples are checked.
func (c *responseChecker) stop() {
	c.mu.Lock()
	started := c.jobs != nil && !c.close
	c.close = true
	if started {
		close(c.jobs)
	}
	c.mu.Unlock()
	if started {
		<-c.done
	}
}
