package main

import (
	"context"
	"time"

	"github.com/bulwark-gw/bulwark/config"

	"github.com/bulwark-gw/bulwark/catalog"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/internal/labels"
	"github.com/bulwark-gw/bulwark/portal"
)

// The documentation catalog follows discovery: every snapshot the gateway
// gets is handed to it too, and it fetches the services' documents in the
// background. The portal serves its pages and the catalog's JSON API
// ({path}/api/) on the gateway's listeners, behind one visibility rule.

// startCatalog builds the catalog and mounts its API, when the portal is on.
func (rt *process) startCatalog(f *config.File) {
	path := f.PortalPath()
	if path == "" {
		return
	}
	rt.catalog = catalog.New(catalog.Options{
		RouteOf: func(service string) (catalog.Route, bool) {
			prefix, strip, ok := rt.gw.ServiceRoute(service)
			return catalog.Route{Prefix: prefix, StripPrefix: strip}, ok
		},
		DocPath: func(service string) string {
			rt.mu.Lock()
			defer rt.mu.Unlock()
			return rt.current.DocPath(service)
		},
		HALPath: func(service string) string {
			rt.mu.Lock()
			defer rt.mu.Unlock()
			return rt.current.HALPath(service)
		},
		LabelDocs: func(l discovery.Labels) (string, string) {
			d := labels.Parse(l.Tags, l.Meta).Documents
			return d.OpenAPI, d.HAL
		},
		PublicURL: f.Portal.PublicURL,
		Logger:    rt.log,
	})
	users := f.Portal.Users
	rt.gw.Mount(path+"/", portal.RequireUsers(users, portal.Handler(portal.Options{Path: path, Catalog: rt.catalog,
		Health: func(service string) (portal.Health, bool) {
			healthy, total, breaker, ok := rt.gw.ServiceHealth(service)
			h := portal.Health{Healthy: healthy, Total: total, Breaker: breaker}
			if st, found := rt.gw.Stats(service); found {
				h.Requests, h.Errors, h.P50, h.P99 = st.Requests, st.Errors, st.P50.Round(time.Microsecond), st.P99.Round(time.Microsecond)
				h.CacheLookups, h.CacheHits = st.CacheLookups, st.CacheHits
			}
			if sv, found := rt.gw.Service(service); found {
				for _, in := range sv.Instances {
					h.Instances = append(h.Instances, portal.Instance{Addr: in.Addr, Weight: in.Weight, InFlight: in.InFlight, Ejected: in.Ejected})
				}
			}
			return h, ok
		},
		Admission:     rt.portalAdmission,
		Conformance:   rt.portalConformance,
		Map:           rt.systemMap,
		Routed:        rt.routedServices,
		ShowInstances: f.PortalShowsInstances(),
		// Decided with the users above, at the same start: the page is
		// served only while the portal asks every viewer to sign in.
		Consumers:     rt.portalConsumers,
		ShowConsumers: f.PortalShowsConsumers(),
		PublicURL:     f.Portal.PublicURL,
	})))
	rt.log.Info("portal served", "path", path+"/", "api", path+"/api/services")
}

// portalAdmission is the gateway's admission view of a service, copied into
// the portal's own type (the portal never imports the gateway).
func (rt *process) portalAdmission(service string) (portal.Admission, bool) {
	v, ok := rt.gw.Admission(service)
	if !ok {
		return portal.Admission{}, false
	}
	return portal.Admission{FromOpenAPI: v.FromOpenAPI, Verifiers: v.Verifiers, APIKeyHeader: v.APIKeyHeader,
		APIKeyQuery: v.APIKeyQuery, BasicRealm: v.BasicRealm, Scopes: v.Scopes, RateLimit: v.RateLimit,
		IPRules: len(v.IPAllow) > 0 || len(v.IPDeny) > 0, CORSOrigins: v.CORSOrigins}, true
}

// portalConsumers is the gateway's consumers view, copied into the
// portal's own type (the portal never imports the gateway).
func (rt *process) portalConsumers() []portal.Consumer {
	return toPortalConsumers(rt.gw.Consumers())
}

func toPortalConsumers(vs []gateway.ConsumerView) []portal.Consumer {
	out := make([]portal.Consumer, 0, len(vs))
	for _, v := range vs {
		c := portal.Consumer{Name: v.Name, APIKeys: v.APIKeys, Password: v.Password, RateLimit: v.RateLimit,
			Authenticated: v.Authenticated, Limited: v.Limited}
		if v.LastSeen != nil {
			c.LastSeen = *v.LastSeen
		}
		out = append(out, c)
	}
	return out
}

// catalogUpdate hands a snapshot to the catalog (callers hold rt.mu).
func (rt *process) catalogUpdate(snap *discovery.Snapshot) {
	if rt.catalog != nil {
		rt.catalog.Update(snap)
	}
}

// runCatalog refreshes the catalog until ctx ends.
func (rt *process) runCatalog(ctx context.Context) error {
	if rt.catalog == nil {
		return nil
	}
	return rt.catalog.Run(ctx)
}

// systemMap is the portal's view of every service: its breaker and its
// instances' state; the portal labels the addresses unless it may show them.
func (rt *process) systemMap() []portal.MapService {
	var out []portal.MapService
	for _, s := range rt.gw.Services() {
		m := portal.MapService{Name: s.Name, Instances: []portal.MapInstance{}}
		if s.Breaker != nil {
			m.Breaker = s.Breaker.State
			if s.Breaker.Forced != "" {
				m.Breaker = s.Breaker.Forced
			}
		}
		for _, in := range s.Instances {
			m.Instances = append(m.Instances, portal.MapInstance{Addr: in.Addr, Ejected: in.Ejected, InFlight: in.InFlight})
		}
		out = append(out, m)
	}
	return out
}

// routedServices is every service the gateway routes to, for the portal's
// catalog (which lists those without a document too): each with the file's
// routes to it, or, for a route from Consul labels, the prefix the gateway
// reports.
func (rt *process) routedServices() []portal.Routed {
	f := rt.config()
	var out []portal.Routed
	for _, s := range rt.gw.Services() {
		prefix, strip, ok := rt.gw.ServiceRoute(s.Name)
		if !ok {
			continue // label problems only: not routed
		}
		r := portal.Routed{Name: s.Name}
		for _, fr := range f.Routes {
			if fr.Service == s.Name {
				r.Routes = append(r.Routes, portal.Route{Host: fr.Host, Path: fr.Path, Methods: fr.Methods, StripPrefix: fr.StripPrefix})
			}
		}
		if len(r.Routes) == 0 {
			r.Routes = []portal.Route{{Path: prefix, StripPrefix: strip}}
		}
		out = append(out, r)
	}
	return out
}
