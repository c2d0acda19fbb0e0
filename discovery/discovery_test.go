package discovery_test

import (
	"slices"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
)

func TestEffectiveWeight(t *testing.T) {
	tests := []struct {
		name   string
		weight int
		want   int
	}{
		{"an unset weight counts as 1", 0, 1},
		{"a negative weight counts as 1", -5, 1},
		{"a weight of 1 is kept", 1, 1},
		{"a larger weight is kept", 7, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (discovery.Instance{Weight: tt.weight}).EffectiveWeight(); got != tt.want {
				t.Errorf("Instance{Weight: %d}.EffectiveWeight() = %d, want %d", tt.weight, got, tt.want)
			}
		})
	}
}

func TestSnapshotNames(t *testing.T) {
	tests := []struct {
		name string
		snap *discovery.Snapshot
		want []string
	}{
		{
			name: "a nil snapshot has no names",
			snap: nil,
			want: nil,
		},
		{
			name: "an empty snapshot has no names",
			snap: &discovery.Snapshot{},
			want: []string{},
		},
		{
			name: "names are returned in lexical order",
			snap: &discovery.Snapshot{Services: pmap.From(map[string][]discovery.Instance{
				"pets": nil, "library": nil, "orders": nil, "Zebra": nil, "a-b": nil,
			})},
			want: []string{"Zebra", "a-b", "library", "orders", "pets"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.snap.Names()
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("Names() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestSnapshotInstances(t *testing.T) {
	pets := []discovery.Instance{{ID: "a:1", Addr: "a:1"}, {ID: "b:1", Addr: "b:1"}}
	tests := []struct {
		name    string
		snap    *discovery.Snapshot
		service string
		want    []discovery.Instance
	}{
		{
			name:    "a nil snapshot has no instances and does not panic",
			snap:    nil,
			service: "pets",
			want:    nil,
		},
		{
			name:    "an unknown service has no instances",
			snap:    &discovery.Snapshot{Services: pmap.From(map[string][]discovery.Instance{"pets": pets})},
			service: "orders",
			want:    nil,
		},
		{
			name:    "a known service returns its instances",
			snap:    &discovery.Snapshot{Services: pmap.From(map[string][]discovery.Instance{"pets": pets})},
			service: "pets",
			want:    pets,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.snap.Instances(tt.service)
			if !slices.EqualFunc(got, tt.want, func(a, b discovery.Instance) bool { return a.ID == b.ID }) ||
				(got == nil) != (tt.want == nil) {
				t.Errorf("Instances(%q) = %+v, want %+v", tt.service, got, tt.want)
			}
		})
	}
}
