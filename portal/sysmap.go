package portal

import (
	"encoding/json"
	"net/http"
)

// MapService is one service on the system map: its breaker and the state of
// each instance. Its addresses leave the portal as labels unless
// Options.ShowInstances (visibility.go), like every other output's.
type MapService struct {
	Name      string        `json:"name"`
	Breaker   string        `json:"breaker,omitempty"`
	Instances []MapInstance `json:"instances"`
}

// MapInstance is one instance's state.
type MapInstance struct {
	Addr     string `json:"addr,omitempty"`
	Ejected  bool   `json:"ejected,omitempty"`
	InFlight int64  `json:"in_flight"`
}

// mapPage is the system map: every service and its instances, coloured by
// state; map.js refreshes it from map.json every two seconds.
func (p *portal) mapPage(w http.ResponseWriter, r *http.Request) {
	p.render(w, "map.html", map[string]any{"Services": p.systemMap()})
}

func (p *portal) mapJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(p.systemMap())
}

func (p *portal) systemMap() []MapService {
	if p.opts.Map == nil {
		return []MapService{}
	}
	return p.opts.Map()
}
