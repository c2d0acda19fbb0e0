package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPetsCRUDAcrossInstances(t *testing.T) {
	ts := startFleet(t)
	a := func(path string) string { return ts.url("pets", 0, path) }
	b := func(path string) string { return ts.url("pets", 1, path) }

	created := ts.do("POST", a("/pets"), "application/json", `{"name":" Felix ","tag":"cat"}`)
	created.expect(t, http.StatusCreated, "application/json")
	if loc := created.header.Get("Location"); loc != "/pets/4" {
		t.Fatalf("Location = %q, want /pets/4 (after three seeded pets)", loc)
	}
	var p pet
	created.decode(t, &p)
	if p.ID != 4 || p.Name != "Felix" || p.Tag == nil || *p.Tag != "cat" || p.Status != "available" {
		t.Fatalf("created %+v, want Felix the available cat with id 4", p)
	}

	t.Run("a pet created through one instance is read through the other", func(t *testing.T) {
		var got pet
		r := ts.do("GET", b("/pets/4"), "", "")
		r.expect(t, http.StatusOK, "application/json")
		r.decode(t, &got)
		if got.Name != "Felix" {
			t.Errorf("got %+v", got)
		}
	})

	lists := []struct {
		name, query string
		want        []string
	}{
		{"the list has every pet in id order", "", []string{"Rex", "Tom", "Nemo", "Felix"}},
		{"the tag filter keeps only that tag", "?tag=cat", []string{"Tom", "Felix"}},
		{"the limit cuts the list", "?limit=2", []string{"Rex", "Tom"}},
		{"a tag nobody has gives an empty list", "?tag=parrot", []string{}},
	}
	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			var got []pet
			r := ts.do("GET", b("/pets"+tt.query), "", "")
			r.expect(t, http.StatusOK, "application/json")
			r.decode(t, &got)
			names := []string{}
			for _, p := range got {
				names = append(names, p.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("names = %v, want %v", names, tt.want)
			}
		})
	}

	t.Run("a replaced pet is replaced on both instances, null tag included", func(t *testing.T) {
		ts.do("PUT", b("/pets/4"), "application/json", `{"name":"Felix","tag":null,"status":"sold"}`).
			expect(t, http.StatusOK, "application/json")
		var got pet
		ts.do("GET", a("/pets/4"), "", "").decode(t, &got)
		if got.Status != "sold" || got.Tag != nil {
			t.Errorf("got %+v, want sold with no tag", got)
		}
	})

	t.Run("a deleted pet is gone from both instances and its id is not reused", func(t *testing.T) {
		ts.do("DELETE", a("/pets/4"), "", "").expect(t, http.StatusNoContent, "")
		ts.do("GET", b("/pets/4"), "", "").expect(t, http.StatusNotFound, "application/problem+json")
		ts.do("DELETE", b("/pets/4"), "", "").expect(t, http.StatusNotFound, "application/problem+json")
		r := ts.do("POST", b("/pets"), "application/json", `{"name":"Goldie"}`)
		r.expect(t, http.StatusCreated, "application/json")
		if loc := r.header.Get("Location"); loc != "/pets/5" {
			t.Errorf("Location = %q, want /pets/5", loc)
		}
	})
}

func TestPetsRejectBadRequestsWithProblems(t *testing.T) {
	ts := startFleet(t)
	tests := []struct {
		name             string
		method, path     string
		contentType      string
		body             string
		wantStatus       int
		wantPointer      string // the first errors[].pointer, if any
		wantProblemTitle string
	}{
		{"malformed JSON is a 400", "POST", "/pets", "application/json", `{"name":`, 400, "", "Bad Request"},
		{"an empty body is a 400", "POST", "/pets", "application/json", ``, 400, "", "Bad Request"},
		{"two JSON values are a 400", "POST", "/pets", "application/json", `{"name":"a"} {"name":"b"}`, 400, "", "Bad Request"},
		{"an unknown member is a 400", "POST", "/pets", "application/json", `{"name":"a","colour":"red"}`, 400, "", "Bad Request"},
		{"a wrongly typed member is a 400", "POST", "/pets", "application/json", `{"name":7}`, 400, "", "Bad Request"},
		{"a blank name is a 400 naming /name", "POST", "/pets", "application/json", `{"name":"  "}`, 400, "/name", "Bad Request"},
		{"an empty tag is a 400 naming /tag", "POST", "/pets", "", `{"name":"a","tag":""}`, 400, "/tag", "Bad Request"},
		{"an unknown status is a 400 naming /status", "PUT", "/pets/1", "application/json", `{"name":"a","status":"lost"}`, 400, "/status", "Bad Request"},
		{"a form body is a 415", "POST", "/pets", "application/x-www-form-urlencoded", `name=a`, 415, "", "Unsupported Media Type"},
		{"a body over 1 MiB is a 413", "POST", "/pets", "application/json", `{"name":"` + strings.Repeat("a", maxBodyBytes) + `"}`, 413, "", "Request Entity Too Large"},
		{"a limit out of range is a 400", "GET", "/pets?limit=0", "", "", 400, "", "Bad Request"},
		{"an id that is not a number is a 400", "GET", "/pets/rex", "", "", 400, "", "Bad Request"},
		{"an unknown id is a 404", "GET", "/pets/999", "", "", 404, "", "Not Found"},
		{"replacing an unknown id is a 404", "PUT", "/pets/999", "application/json", `{"name":"a"}`, 404, "", "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(tt.method, ts.url("pets", 0, tt.path), tt.contentType, tt.body)
			r.expect(t, tt.wantStatus, "application/problem+json")
			var p problem
			r.decode(t, &p)
			if p.Status != tt.wantStatus || p.Title != tt.wantProblemTitle || p.Type != "about:blank" || p.Detail == "" {
				t.Errorf("problem = %+v", p)
			}
			if tt.wantPointer != "" && (len(p.Errors) == 0 || p.Errors[0].Pointer != tt.wantPointer) {
				t.Errorf("errors = %+v, want pointer %s", p.Errors, tt.wantPointer)
			}
		})
	}

	t.Run("a method the path does not have is a 405 with Allow", func(t *testing.T) {
		r := ts.do("PATCH", ts.url("pets", 0, "/pets/1"), "application/json", `{}`)
		r.expect(t, http.StatusMethodNotAllowed, "")
		if allow := r.header.Get("Allow"); !strings.Contains(allow, "PUT") || !strings.Contains(allow, "DELETE") {
			t.Errorf("Allow = %q", allow)
		}
	})
}

// sseEvent is one event read from a text/event-stream.
type sseEvent struct{ name, data string }

// readEvent returns the next event, skipping comments such as ": ping".
func readEvent(t *testing.T, rd *bufio.Reader) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && ev.name != "":
			return ev
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func TestPetsEventsStreamEveryChange(t *testing.T) {
	ts := startFleet(t)
	// Bounded: a missing event fails the test instead of hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url("pets", 1, "/pets/events"), nil)
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	rd := bufio.NewReader(resp.Body)
	if line, _ := rd.ReadString('\n'); line != ": connected\n" {
		t.Fatalf("first line = %q, want the connected comment", line)
	}

	// Changes go through the other instance: both share the store and the events.
	ts.do("POST", ts.url("pets", 0, "/pets"), "application/json", `{"name":"Felix","tag":"cat"}`).expect(t, 201, "")
	ts.do("PUT", ts.url("pets", 0, "/pets/4"), "application/json", `{"name":"Felix","status":"sold"}`).expect(t, 200, "")
	ts.do("DELETE", ts.url("pets", 0, "/pets/4"), "", "").expect(t, 204, "")

	for _, want := range []struct{ event, status string }{
		{"pet.created", "available"},
		{"pet.updated", "sold"},
		{"pet.deleted", "sold"},
	} {
		ev := readEvent(t, rd)
		var p pet
		if err := json.Unmarshal([]byte(ev.data), &p); err != nil {
			t.Fatalf("event %s data %q: %v", ev.name, ev.data, err)
		}
		if ev.name != want.event || p.ID != 4 || p.Status != want.status {
			t.Errorf("event %s %+v, want %s of pet 4 %s", ev.name, p, want.event, want.status)
		}
	}
}
