package demo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestFaultsMakeAnInstanceFailOrSlowAndBack(t *testing.T) {
	srv := httptest.NewServer(withFaults(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})))
	defer srv.Close()
	do := func(method, path string, header ...string) (int, time.Duration) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, time.Since(start)
	}
	if code, _ := do("GET", "/x"); code != 200 {
		t.Fatalf("before any fault: %d", code)
	}
	if code, _ := do("PUT", "/_demo/fault?mode=fail"); code != 200 {
		t.Fatalf("setting fail: %d", code)
	}
	if code, _ := do("GET", "/x"); code != 503 {
		t.Errorf("failing instance answered %d, want 503", code)
	}
	if code, _ := do("PUT", "/_demo/fault?mode=slow&delay=150ms"); code != 200 {
		t.Fatalf("setting slow: %d", code)
	}
	if code, took := do("GET", "/x"); code != 200 || took < 150*time.Millisecond {
		t.Errorf("slow instance: %d after %v, want 200 after 150ms", code, took)
	}
	for _, bad := range []string{"/_demo/fault?mode=explode", "/_demo/fault?mode=slow", "/_demo/fault?mode=slow&delay=2h"} {
		if code, _ := do("PUT", bad); code != 400 {
			t.Errorf("PUT %s = %d, want 400", bad, code)
		}
	}
	if code, _ := do("PUT", "/_demo/fault?mode=off", "X-Forwarded-For", "10.0.0.1"); code != 403 {
		t.Errorf("a request through a proxy set a fault: %d, want 403", code)
	}
	if code, _ := do("GET", "/_demo/fault"); code != 405 {
		t.Errorf("GET on the fault endpoint = %d, want 405", code)
	}
	// Off ends the slowness: with a minute of delay set just before, an
	// answer well inside that minute (the client gives up at 20 s) can only
	// come from an instance that no longer waits.
	if code, _ := do("PUT", "/_demo/fault?mode=slow&delay=1m"); code != 200 {
		t.Fatalf("setting slow for a minute: %d", code)
	}
	do("PUT", "/_demo/fault?mode=off")
	quick := &http.Client{Timeout: 20 * time.Second}
	res, err := quick.Get(srv.URL + "/x")
	if err != nil {
		t.Fatalf("after off the instance still waits: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("after off: %d, want 200", res.StatusCode)
	}
}

func TestDriftDropsTheStatusOfEveryJSONObject(t *testing.T) {
	f := withFaults(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/list" {
			_, _ = w.Write([]byte(`[{"id":1,"status":"available"},{"id":2,"status":"sold"}]`))
			return
		}
		_, _ = w.Write([]byte(`{"id":1,"name":"Rex","status":"available"}`))
	}))
	f.mode.Store("drift")
	for path, want := range map[string]string{"/one": `{"id":1,"name":"Rex"}`, "/list": `[{"id":1},{"id":2}]`} {
		w := httptest.NewRecorder()
		f.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != 200 || w.Body.String() != want || w.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("GET %s in drift: %d %q (length %s), want %q", path, w.Code, w.Body.String(), w.Header().Get("Content-Length"), want)
		}
	}
}
