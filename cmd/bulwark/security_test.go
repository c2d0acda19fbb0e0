package main

import (
	"reflect"
	"testing"

	"github.com/bulwark-gw/bulwark/catalog"
	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/openapi"
)

func TestRequirementsCrossToTheGatewayUnchanged(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []openapi.Requirement
		want []gateway.SecurityRequirement
	}{
		{"a public operation stays public", nil, nil},
		{"an anonymous alternative stays empty", []openapi.Requirement{{}}, []gateway.SecurityRequirement{{}}},
		{"every field of every scheme is carried, in order", []openapi.Requirement{
			{{Name: "oauth", Type: "oauth2", Scopes: []string{"read:pets"}}},
			{{Name: "bearer", Type: "http", Scheme: "bearer"}, {Name: "key", Type: "apiKey", In: "header", Param: "X-API-Key"}},
			{{Name: "ghost", Type: openapi.SchemeUnknown}},
		}, []gateway.SecurityRequirement{
			{{Name: "oauth", Type: "oauth2", Scopes: []string{"read:pets"}}},
			{{Name: "bearer", Type: "http", Scheme: "bearer"}, {Name: "key", Type: "apiKey", In: "header", Param: "X-API-Key"}},
			{{Name: "ghost", Type: "unknown"}},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := toGatewayRequirements(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTheGatewayAsksTheCatalogOnlyWhenThereIsOne(t *testing.T) {
	if (&process{}).operationSecurity() != nil {
		t.Error("without the portal there is no catalog, and the gateway must get a nil OperationSecurity")
	}
	rt := &process{catalog: catalog.New(catalog.Options{RouteOf: func(string) (catalog.Route, bool) { return catalog.Route{}, false }})}
	sec := rt.operationSecurity()
	if sec == nil {
		t.Fatal("with a catalog the gateway gets no OperationSecurity")
	}
	if reqs, found := sec("pets", "GET", "/pets"); found || reqs != nil {
		t.Errorf("a service the catalog has no document for: %+v, %v", reqs, found)
	}
}
