package demo

import (
	_ "embed"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// ordersSwagger describes every route in orders.routes; a test holds the two together.
//
//go:embed orders_swagger.json
var ordersSwagger []byte

var orderStatuses = []string{"placed", "approved", "delivered"}

// order is the representation of /orders/{id}. PetID names a pet of the pets service;
// like a foreign key across services it is not checked.
type order struct {
	ID       int64    `json:"id"`
	PetID    int64    `json:"petId"`
	Quantity int      `json:"quantity"`
	Status   string   `json:"status"`
	Notes    []string `json:"notes"` // never null; appended by POST /orders/{id}/notes
}

// orderInput is the body of POST /orders and PUT /orders/{id}.
type orderInput struct {
	PetID    int64  `json:"petId"`
	Quantity int    `json:"quantity"`
	Status   string `json:"status"`
}

// ordersAPI is the orders service: the gateway routes /orders to it without stripping
// the prefix. Its Swagger document has basePath /orders and a path "/" for the
// collection, which converters turn into /orders/, so the collection answers both
// /orders and /orders/.
type ordersAPI struct {
	orders *store[order]
}

func newOrders() app {
	o := &ordersAPI{orders: newStore[order]()}
	for _, in := range []orderInput{
		{PetID: 1, Quantity: 1, Status: "approved"},
		{PetID: 2, Quantity: 2, Status: "placed"},
	} {
		o.orders.create(func(id int64) order { return in.order(id, nil) })
	}
	return app{
		Service: Service{Name: "orders", Route: "/orders", OpenAPI: "/swagger.json"},
		doc:     ordersSwagger,
		routes: []route{
			{"GET /orders", o.list},
			{"GET /orders/{$}", o.list},
			{"POST /orders", o.create},
			{"POST /orders/{$}", o.create},
			{"GET /orders/{id}", o.get},
			{"PUT /orders/{id}", o.replace},
			{"DELETE /orders/{id}", o.delete},
			{"POST /orders/{id}/notes", o.addNote},
		},
	}
}

func (o *ordersAPI) list(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status != "" && !slices.Contains(orderStatuses, status) {
		writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf(
			"query parameter status must be one of %s, not %q", strings.Join(orderStatuses, ", "), status))
		return
	}
	out := []order{}
	for _, od := range o.orders.list() {
		if status == "" || od.Status == status {
			out = append(out, od)
		}
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

func (o *ordersAPI) create(w http.ResponseWriter, r *http.Request) {
	var in orderInput
	if !decodeJSON(w, r, &in) || in.validate().failed(w, r) {
		return
	}
	od := o.orders.create(func(id int64) order { return in.order(id, nil) })
	w.Header().Set("Location", fmt.Sprintf("/orders/%d", od.ID))
	writeJSON(w, http.StatusCreated, "application/json", od)
}

func (o *ordersAPI) get(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	od, ok := o.orders.get(id)
	if !ok {
		o.notFound(w, r, id)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", od)
}

// replace is PUT /orders/{id}: it replaces the order's fields and keeps its notes, which
// are a sub-resource.
func (o *ordersAPI) replace(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in orderInput
	if !decodeJSON(w, r, &in) || in.validate().failed(w, r) {
		return
	}
	od, ok := o.orders.update(id, func(old order) order { return in.order(id, old.Notes) })
	if !ok {
		o.notFound(w, r, id)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", od)
}

func (o *ordersAPI) delete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, ok := o.orders.delete(id); !ok {
		o.notFound(w, r, id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// addNote is POST /orders/{id}/notes with a form-encoded "text" field (the Swagger
// formData parameter); it answers 201 with the order and its notes.
func (o *ordersAPI) addNote(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	text := strings.TrimSpace(r.PostForm.Get("text"))
	if n := utf8.RuneCountInString(text); n < 1 || n > 500 {
		var v validation
		v.add("/text", "text must be 1 to 500 characters")
		v.failed(w, r)
		return
	}
	od, ok := o.orders.update(id, func(old order) order {
		// Clip so that append copies: readers may hold the old slice.
		old.Notes = append(slices.Clip(old.Notes), text)
		return old
	})
	if !ok {
		o.notFound(w, r, id)
		return
	}
	writeJSON(w, http.StatusCreated, "application/json", od)
}

func (o *ordersAPI) notFound(w http.ResponseWriter, r *http.Request, id int64) {
	writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("there is no order with id %d", id))
}

// validate checks the input against the OrderInput definition of the document. A missing
// status means "placed".
func (in *orderInput) validate() validation {
	var v validation
	if in.PetID < 1 {
		v.add("/petId", "petId must be a positive integer")
	}
	if in.Quantity < 1 || in.Quantity > 100 {
		v.add("/quantity", "quantity must be from 1 to 100")
	}
	if in.Status == "" {
		in.Status = "placed"
	} else if !slices.Contains(orderStatuses, in.Status) {
		v.add("/status", "status must be one of %s, not %q", strings.Join(orderStatuses, ", "), in.Status)
	}
	return v
}

func (in orderInput) order(id int64, notes []string) order {
	if notes == nil {
		notes = []string{}
	}
	return order{ID: id, PetID: in.PetID, Quantity: in.Quantity, Status: in.Status, Notes: notes}
}
