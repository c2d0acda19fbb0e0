package demo

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// petsOpenAPI describes every route in pets.routes; a test holds the two together.
//
//go:embed pets_openapi.json
var petsOpenAPI []byte

var petStatuses = []string{"available", "pending", "sold"}

// pet is the representation of /pets/{id}. Tag is null when the pet has none.
type pet struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Tag    *string `json:"tag"`
	Status string  `json:"status"`
}

// petInput is the body of POST /pets and PUT /pets/{id}.
type petInput struct {
	Name   string  `json:"name"`
	Tag    *string `json:"tag"`
	Status string  `json:"status"`
}

// petsAPI is the pets service: the gateway routes /pets to it without stripping the
// prefix, so its paths start with /pets.
type petsAPI struct {
	stop   context.Context // ends the event streams when the fleet stops
	pets   *store[pet]
	events broker
}

func newPets(stop context.Context) app {
	p := &petsAPI{stop: stop, pets: newStore[pet]()}
	for _, in := range []petInput{
		{Name: "Rex", Tag: ptr("dog"), Status: "available"},
		{Name: "Tom", Tag: ptr("cat"), Status: "pending"},
		{Name: "Nemo", Status: "sold"},
	} {
		p.pets.create(func(id int64) pet { return in.pet(id) })
	}
	return app{
		Service: Service{Name: "pets", Route: "/pets", OpenAPI: "/openapi.json"},
		doc:     petsOpenAPI,
		routes: []route{
			{"GET /pets", p.list},
			{"POST /pets", p.create},
			{"GET /pets/events", p.stream},
			{"GET /pets/{id}", p.get},
			{"PUT /pets/{id}", p.replace},
			{"DELETE /pets/{id}", p.delete},
		},
	}
}

func (p *petsAPI) list(w http.ResponseWriter, r *http.Request) {
	limit, ok := queryInt(w, r, "limit", 20, 1, 100)
	if !ok {
		return
	}
	tag := r.URL.Query().Get("tag")
	out := []pet{} // an empty list is [], never null
	for _, pt := range p.pets.list() {
		if len(out) == limit {
			break
		}
		if tag == "" || (pt.Tag != nil && *pt.Tag == tag) {
			out = append(out, pt)
		}
	}
	writeJSON(w, http.StatusOK, "application/json", out)
}

func (p *petsAPI) create(w http.ResponseWriter, r *http.Request) {
	var in petInput
	if !decodeJSON(w, r, &in) || in.validate().failed(w, r) {
		return
	}
	pt := p.pets.create(in.pet)
	p.events.publish("pet.created", pt)
	w.Header().Set("Location", fmt.Sprintf("/pets/%d", pt.ID))
	writeJSON(w, http.StatusCreated, "application/json", pt)
}

func (p *petsAPI) get(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	pt, ok := p.pets.get(id)
	if !ok {
		p.notFound(w, r, id)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", pt)
}

func (p *petsAPI) replace(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in petInput
	if !decodeJSON(w, r, &in) || in.validate().failed(w, r) {
		return
	}
	pt, ok := p.pets.update(id, func(pet) pet { return in.pet(id) })
	if !ok {
		p.notFound(w, r, id)
		return
	}
	p.events.publish("pet.updated", pt)
	writeJSON(w, http.StatusOK, "application/json", pt)
}

func (p *petsAPI) delete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	pt, ok := p.pets.delete(id)
	if !ok {
		p.notFound(w, r, id)
		return
	}
	p.events.publish("pet.deleted", pt)
	w.WriteHeader(http.StatusNoContent)
}

// stream is GET /pets/events: pet.created, pet.updated and pet.deleted events whose data
// is the pet (as it was, for pet.deleted).
func (p *petsAPI) stream(w http.ResponseWriter, r *http.Request) {
	p.events.serveStream(p.stop, w, r)
}

func (p *petsAPI) notFound(w http.ResponseWriter, r *http.Request, id int64) {
	writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("there is no pet with id %d", id))
}

// validate checks the input against the PetInput schema of the document. A missing
// status means "available".
func (in *petInput) validate() validation {
	var v validation
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n < 1 || n > 100 {
		v.add("/name", "name must be 1 to 100 characters")
	}
	if in.Tag != nil {
		if n := utf8.RuneCountInString(*in.Tag); n < 1 || n > 50 {
			v.add("/tag", "tag must be 1 to 50 characters, or null")
		}
	}
	if in.Status == "" {
		in.Status = "available"
	} else if !slices.Contains(petStatuses, in.Status) {
		v.add("/status", "status must be one of %s, not %q", strings.Join(petStatuses, ", "), in.Status)
	}
	return v
}

func (in petInput) pet(id int64) pet {
	return pet{ID: id, Name: in.Name, Tag: in.Tag, Status: in.Status}
}

func ptr[T any](v T) *T { return &v }
