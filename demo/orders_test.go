package demo

import (
	"net/http"
	"net/url"
	"testing"
)

func TestOrdersCRUDAcrossInstances(t *testing.T) {
	ts := startFleet(t)
	a := func(path string) string { return ts.url("orders", 0, path) }
	b := func(path string) string { return ts.url("orders", 1, path) }

	created := ts.do("POST", a("/orders"), "application/json", `{"petId":3,"quantity":2}`)
	created.expect(t, http.StatusCreated, "application/json")
	if loc := created.header.Get("Location"); loc != "/orders/3" {
		t.Fatalf("Location = %q, want /orders/3 (after two seeded orders)", loc)
	}

	t.Run("an order placed through one instance is read through the other", func(t *testing.T) {
		var o order
		r := ts.do("GET", b("/orders/3"), "", "")
		r.expect(t, http.StatusOK, "application/json")
		r.decode(t, &o)
		if o.PetID != 3 || o.Quantity != 2 || o.Status != "placed" || o.Notes == nil {
			t.Errorf("got %+v, want 2 of pet 3, placed, with an empty list of notes", o)
		}
	})

	lists := []struct {
		name, path string
		want       int
	}{
		{"the collection lists every order", "/orders", 3},
		{"the collection answers with a trailing slash too (basePath + \"/\")", "/orders/", 3},
		{"the status filter keeps only that status", "/orders?status=approved", 1},
	}
	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			var got []order
			r := ts.do("GET", b(tt.path), "", "")
			r.expect(t, http.StatusOK, "application/json")
			r.decode(t, &got)
			if len(got) != tt.want {
				t.Errorf("got %d orders, want %d: %+v", len(got), tt.want, got)
			}
		})
	}

	t.Run("a form note is added, and a replace keeps the notes", func(t *testing.T) {
		form := url.Values{"text": {"Leave at the door"}}.Encode()
		r := ts.do("POST", b("/orders/3/notes"), "application/x-www-form-urlencoded", form)
		r.expect(t, http.StatusCreated, "application/json")
		ts.do("PUT", a("/orders/3"), "application/json", `{"petId":3,"quantity":5,"status":"approved"}`).
			expect(t, http.StatusOK, "application/json")
		var o order
		ts.do("GET", b("/orders/3"), "", "").decode(t, &o)
		if o.Quantity != 5 || o.Status != "approved" || len(o.Notes) != 1 || o.Notes[0] != "Leave at the door" {
			t.Errorf("got %+v", o)
		}
	})

	t.Run("a deleted order is gone from both instances", func(t *testing.T) {
		ts.do("DELETE", b("/orders/3"), "", "").expect(t, http.StatusNoContent, "")
		ts.do("GET", a("/orders/3"), "", "").expect(t, http.StatusNotFound, "application/problem+json")
	})
}

func TestOrdersRejectBadRequestsWithProblems(t *testing.T) {
	ts := startFleet(t)
	tests := []struct {
		name         string
		method, path string
		contentType  string
		body         string
		wantStatus   int
	}{
		{"malformed JSON is a 400", "POST", "/orders", "application/json", `[`, 400},
		{"a quantity of zero is a 400", "POST", "/orders", "application/json", `{"petId":1,"quantity":0}`, 400},
		{"a missing pet id is a 400", "PUT", "/orders/1", "application/json", `{"quantity":1}`, 400},
		{"an unknown status filter is a 400", "GET", "/orders?status=lost", "", "", 400},
		{"a note sent as JSON is a 415", "POST", "/orders/1/notes", "application/json", `{"text":"a"}`, 415},
		{"an empty note is a 400", "POST", "/orders/1/notes", "application/x-www-form-urlencoded", `text=`, 400},
		{"a note on an unknown order is a 404", "POST", "/orders/99/notes", "application/x-www-form-urlencoded", `text=a`, 404},
		{"an unknown order is a 404", "GET", "/orders/99", "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(tt.method, ts.url("orders", 0, tt.path), tt.contentType, tt.body)
			r.expect(t, tt.wantStatus, "application/problem+json")
			var p problem
			r.decode(t, &p)
			if p.Status != tt.wantStatus || p.Detail == "" {
				t.Errorf("problem = %+v", p)
			}
		})
	}
}
