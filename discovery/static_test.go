package discovery_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
)

func TestNewStaticRejects(t *testing.T) {
	tests := []struct {
		name     string
		services []discovery.StaticService
		wantErr  string
	}{
		{
			name:     "a service without a name is rejected",
			services: []discovery.StaticService{{Instances: []string{"127.0.0.1:9001"}}},
			wantErr:  "empty name",
		},
		{
			name: "a service listed twice is rejected",
			services: []discovery.StaticService{
				{Name: "pets", Instances: []string{"127.0.0.1:9001"}},
				{Name: "pets", Instances: []string{"127.0.0.1:9002"}},
			},
			wantErr: `"pets": listed twice`,
		},
		{
			name:     "an address without a port is rejected",
			services: []discovery.StaticService{{Name: "pets", Instances: []string{"127.0.0.1"}}},
			wantErr:  "not host:port",
		},
		{
			name:     "port 0 is rejected",
			services: []discovery.StaticService{{Name: "pets", Instances: []string{"127.0.0.1:0"}}},
			wantErr:  "1..65535",
		},
		{
			name:     "port 70000 is rejected",
			services: []discovery.StaticService{{Name: "pets", Instances: []string{"127.0.0.1:70000"}}},
			wantErr:  "1..65535",
		},
		{
			name:     "a non-numeric port is rejected",
			services: []discovery.StaticService{{Name: "pets", Instances: []string{"127.0.0.1:http"}}},
			wantErr:  "1..65535",
		},
		{
			name:     "an address with an empty host is rejected",
			services: []discovery.StaticService{{Name: "pets", Instances: []string{":9001"}}},
			wantErr:  "missing host",
		},
		{
			name: "an instance listed twice in one service is rejected",
			services: []discovery.StaticService{{Name: "pets", Instances: []string{
				"127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9001",
			}}},
			wantErr: `instance "127.0.0.1:9001" listed twice`,
		},
		{
			name: "fewer weights than instances are rejected",
			services: []discovery.StaticService{{Name: "pets",
				Instances: []string{"127.0.0.1:9001", "127.0.0.1:9002"}, Weights: []int{3}}},
			wantErr: "1 weights for 2 instances",
		},
		{
			name: "more weights than instances are rejected",
			services: []discovery.StaticService{{Name: "pets",
				Instances: []string{"127.0.0.1:9001"}, Weights: []int{1, 2}}},
			wantErr: "2 weights for 1 instances",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := discovery.NewStatic(tt.services)
			if err == nil {
				t.Fatalf("NewStatic succeeded with snapshot %+v, want an error containing %q", s.Snapshot(), tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewStatic error = %q, want it to contain %q", err, tt.wantErr)
			}
			if s != nil {
				t.Errorf("NewStatic returned a source %+v alongside its error", s)
			}
		})
	}
}

func TestNewStaticBuildsSnapshot(t *testing.T) {
	tests := []struct {
		name     string
		services []discovery.StaticService
		want     map[string][]discovery.Instance
	}{
		{
			name:     "no services make an empty snapshot",
			services: nil,
			want:     map[string][]discovery.Instance{},
		},
		{
			name: "instances are sorted by ID, passing, with weight 1 by default",
			services: []discovery.StaticService{{Name: "pets", Instances: []string{
				"127.0.0.1:9003", "127.0.0.1:9001", "127.0.0.1:9002",
			}}},
			want: map[string][]discovery.Instance{"pets": {
				{ID: "127.0.0.1:9001", Addr: "127.0.0.1:9001", Weight: 1, Health: discovery.Passing},
				{ID: "127.0.0.1:9002", Addr: "127.0.0.1:9002", Weight: 1, Health: discovery.Passing},
				{ID: "127.0.0.1:9003", Addr: "127.0.0.1:9003", Weight: 1, Health: discovery.Passing},
			}},
		},
		{
			name: "weights stay with their instance when the instances are sorted",
			services: []discovery.StaticService{{Name: "orders",
				Instances: []string{"10.0.0.2:80", "10.0.0.1:80"}, Weights: []int{5, 2}}},
			want: map[string][]discovery.Instance{"orders": {
				{ID: "10.0.0.1:80", Addr: "10.0.0.1:80", Weight: 2, Health: discovery.Passing},
				{ID: "10.0.0.2:80", Addr: "10.0.0.2:80", Weight: 5, Health: discovery.Passing},
			}},
		},
		{
			name: "a service with no instances is known and empty",
			services: []discovery.StaticService{
				{Name: "empty"},
				{Name: "pets", Instances: []string{"localhost:65535"}},
			},
			want: map[string][]discovery.Instance{
				"empty": {},
				"pets":  {{ID: "localhost:65535", Addr: "localhost:65535", Weight: 1, Health: discovery.Passing}},
			},
		},
		{
			name:     "an IPv6 address in brackets is accepted",
			services: []discovery.StaticService{{Name: "v6", Instances: []string{"[::1]:1"}}},
			want: map[string][]discovery.Instance{
				"v6": {{ID: "[::1]:1", Addr: "[::1]:1", Weight: 1, Health: discovery.Passing}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := discovery.NewStatic(tt.services)
			if err != nil {
				t.Fatalf("NewStatic: %v", err)
			}
			snap := s.Snapshot()
			if snap.Source != "static" {
				t.Errorf("Source = %q, want %q", snap.Source, "static")
			}
			if snap.Version != 1 {
				t.Errorf("Version = %d, want 1", snap.Version)
			}
			if snap.Services.Len() != len(tt.want) {
				t.Errorf("snapshot has services %v, want %d", snap.Names(), len(tt.want))
			}
			for name, want := range tt.want {
				got, ok := snap.Services.Get(name)
				if !ok {
					t.Errorf("service %q is missing from the snapshot", name)
					continue
				}
				if !slices.EqualFunc(got, want, instanceEqual) {
					t.Errorf("Instances(%q) = %+v, want %+v", name, got, want)
				}
			}
		})
	}
}

// instanceEqual compares the fields a static source sets.
func instanceEqual(a, b discovery.Instance) bool {
	return a.ID == b.ID && a.Addr == b.Addr && a.Weight == b.Weight && a.Health == b.Health &&
		len(a.Tags) == 0 && len(b.Tags) == 0 && len(a.Meta) == 0 && len(b.Meta) == 0
}

func TestValidateAddr(t *testing.T) {
	tests := []struct {
		name    string
		addr    string
		wantErr bool
	}{
		{"a host and port 1 are valid", "example.com:1", false},
		{"a host and port 65535 are valid", "127.0.0.1:65535", false},
		{"port 65536 is invalid", "127.0.0.1:65536", true},
		{"a negative port is invalid", "127.0.0.1:-1", true},
		{"an empty port is invalid", "127.0.0.1:", true},
		{"an empty string is invalid", "", true},
		{"an unbracketed IPv6 address is invalid", "::1:80", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := discovery.ValidateAddr(tt.addr)
			if (err != nil) != tt.wantErr {
				t.Errorf("ValidateAddr(%q) = %v, want error: %v", tt.addr, err, tt.wantErr)
			}
		})
	}
}
