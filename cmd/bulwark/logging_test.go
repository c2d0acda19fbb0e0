package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/config"
)

// People read the logs: a duration attribute is "15s" in the JSON format
// too, never slog's nanoseconds (15000000000), and stays "15s" in text.
func TestLogsWriteDurationsAsDurationStrings(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		log := newLogger(&buf, format, nil)
		log.With("component", "x").Info("shutting down", "grace", 15*time.Second,
			slog.Group("g", slog.Duration("delay", 250*time.Millisecond)))
		out := buf.String()
		if strings.Contains(out, "15000000000") || strings.Contains(out, "250000000") {
			t.Errorf("%s: a duration is written in nanoseconds: %s", format, out)
		}
		if format == "json" {
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["grace"] != "15s" || rec["g"].(map[string]any)["delay"] != "250ms" {
				t.Errorf("json: grace %#v and g.delay %#v, want \"15s\" and \"250ms\": %s", rec["grace"], rec["g"], out)
			}
		} else if !strings.Contains(out, "grace=15s") || !strings.Contains(out, "g.delay=250ms") {
			t.Errorf("text: want grace=15s and g.delay=250ms: %s", out)
		}
	}
}

// A rejected reload is one log line per problem, its position and reason as
// separate attributes (not one escaped value holding every problem), then one
// summary line.
func TestARejectedReloadLogsOneLinePerProblem(t *testing.T) {
	_, err := config.Parse("/etc/bulwark.yaml", []byte("listen:\n  htp: x\nroutes:\n  - path: pets\n    service: pets\n"))
	var ps config.Problems
	if !errors.As(err, &ps) || len(ps) < 2 {
		t.Fatalf("want at least two problems to log, got %v", err)
	}
	var buf bytes.Buffer
	logRejected(newLogger(&buf, "json", nil), "/etc/bulwark.yaml", err)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(ps)+1 {
		t.Fatalf("%d lines for %d problems, want one per problem and a summary:\n%s", len(lines), len(ps), buf.String())
	}
	for i, p := range ps {
		var rec struct{ Level, Msg, At, Reason string }
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		at := "/etc/bulwark.yaml:" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
		if rec.Level != "ERROR" || rec.At != at || rec.Reason != p.Msg {
			t.Errorf("line %d = %s\nwant at=%s reason=%q", i+1, lines[i], at, p.Msg)
		}
	}
	var sum struct {
		Msg, File string
		Problems  int
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.Msg, "reload rejected") || sum.File != "/etc/bulwark.yaml" || sum.Problems != len(ps) {
		t.Errorf("summary line = %s", lines[len(lines)-1])
	}

	// In text, each reason is its own quoted value: no "\n" escapes.
	buf.Reset()
	logRejected(newLogger(&buf, "text", nil), "/etc/bulwark.yaml", err)
	if strings.Contains(buf.String(), `\n`) {
		t.Errorf("a text line holds an escaped newline:\n%s", buf.String())
	}
}
