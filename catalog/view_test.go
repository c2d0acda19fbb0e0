package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/bulwark-gw/bulwark/openapi"
)

// viewDocs are real documents, loaded once and shared by the entries of
// these tests (a document is immutable once loaded).
func viewDocs(t testing.TB) []*openapi.Document {
	t.Helper()
	var docs []*openapi.Document
	for _, f := range []string{"oas30-petstore-expanded.yaml", "swagger2-uber.json", "oas31-museum.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "openapi", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := openapi.Load(context.Background(), b, openapi.Options{})
		if err != nil {
			t.Fatal(f, err)
		}
		docs = append(docs, doc)
	}
	return docs
}

func docEntry(name string, doc *openapi.Document) *Entry {
	return &Entry{Service: name, Kind: string(doc.Kind), Title: doc.Title, Doc: doc}
}

// viewOf is a view built from nothing over copies of entries, the way a
// first refresh builds it.
func viewOf(entries []*Entry) *view {
	fresh := make([]*Entry, 0, len(entries))
	for _, e := range entries {
		cp := *e
		cp.items = nil
		fresh = append(fresh, &cp)
	}
	return (&view{}).with(slog.New(slog.DiscardHandler), fresh)
}

// TestViewFollowsRandomChanges applies random batches of changes (new
// documents, fetch errors, removals, services never seen) and checks the
// view after each against a map of what each service should be: the
// entries in order, lookups, and search answering exactly what a view built
// from nothing over the same entries answers.
func TestViewFollowsRandomChanges(t *testing.T) {
	docs := viewDocs(t)
	log := slog.New(slog.DiscardHandler)
	rng := rand.New(rand.NewPCG(20, 12))
	queries := []string{"pet", "get", "estimates", "museum ticket", "delete pets", "price", "s1", "nothing-matches"}
	want := map[string]*Entry{}
	v := &view{}
	for round := range 400 {
		var changed []*Entry
		for range 1 + rng.IntN(4) {
			name := fmt.Sprintf("s%d", rng.IntN(30))
			switch rng.IntN(4) {
			case 0:
				changed = append(changed, &Entry{Service: name}) // gone
			case 1:
				changed = append(changed, &Entry{Service: name, Error: "GET /openapi.json answered 503", fetchFailed: true})
			default:
				changed = append(changed, docEntry(name, docs[rng.IntN(len(docs))]))
			}
		}
		v = v.with(log, changed)
		for _, e := range changed { // a later change to one service in a batch wins
			if e.Kind == "" && e.Error == "" {
				delete(want, e.Service)
			} else {
				want[e.Service] = e
			}
		}
		var names []string
		for _, e := range v.entries {
			names = append(names, e.Service)
			if want[e.Service] != e {
				t.Fatalf("round %d: %s is %+v, want %+v", round, e.Service, e, want[e.Service])
			}
		}
		if !slices.IsSorted(names) || len(names) != len(want) {
			t.Fatalf("round %d: entries %v, want the %d services sorted", round, names, len(want))
		}
		for i := range 32 {
			name := fmt.Sprintf("s%d", i)
			got, ok := v.find(name)
			if w, present := want[name]; ok != present || got != w {
				t.Fatalf("round %d: find(%s) = %v, %v; want %v, %v", round, name, got, ok, w, present)
			}
		}
		scratch := viewOf(v.entries)
		for _, q := range queries {
			if got, w := v.search(q, 50), scratch.search(q, 50); !reflect.DeepEqual(got, w) {
				t.Fatalf("round %d: search %q = %v, want %v", round, q, got, w)
			}
		}
	}
}

// TestAChangeIndexesOnlyTheChangedService: at 1,000 services, changing one
// keeps every other entry and its search items as they were, and costs the
// same number of allocations as at 10 services (testing.AllocsPerRun counts
// allocations, which machine load cannot move). The view used to be a map
// copy and a search index rebuilt over every service's operations per
// change (issue 20).
func TestAChangeIndexesOnlyTheChangedService(t *testing.T) {
	docs := viewDocs(t)
	log := slog.New(slog.DiscardHandler)
	allocs := map[int]float64{}
	for _, n := range []int{10, 1000} {
		var all []*Entry
		for i := range n {
			all = append(all, docEntry(fmt.Sprintf("svc-%04d", i), docs[i%len(docs)]))
		}
		v := (&view{}).with(log, all)
		changed := fmt.Sprintf("svc-%04d", n/2)
		next := v.with(log, []*Entry{docEntry(changed, docs[0])})
		for i, e := range next.entries {
			old := v.entries[i]
			if e.Service == changed {
				if e == old || len(e.items) == 0 {
					t.Fatalf("%d services: the changed service was not replaced and indexed: %+v", n, e)
				}
				continue
			}
			if e != old || &e.items[0] != &old.items[0] {
				t.Fatalf("%d services: %s was replaced or indexed again, though it did not change", n, e.Service)
			}
		}
		allocs[n] = testing.AllocsPerRun(50, func() {
			v.with(log, []*Entry{docEntry(changed, docs[0])})
		})
	}
	if allocs[1000] != allocs[10] {
		t.Errorf("one change allocates %v times at 1,000 services and %v at 10: the view does work per service", allocs[1000], allocs[10])
	}
}

// BenchmarkViewChange is one service's new document at 1,000 services:
// what a registration or a check change costs the catalog once the
// document is fetched.
func BenchmarkViewChange(b *testing.B) {
	docs := viewDocs(b)
	log := slog.New(slog.DiscardHandler)
	var all []*Entry
	for i := range 1000 {
		all = append(all, docEntry(fmt.Sprintf("svc-%04d", i), docs[i%len(docs)]))
	}
	v := (&view{}).with(log, all)
	b.ReportAllocs()
	for b.Loop() {
		v.with(log, []*Entry{docEntry("svc-0500", docs[0])})
	}
}
