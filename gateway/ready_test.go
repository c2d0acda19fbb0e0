package gateway

import (
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// TestReadyWithDiscoveredRoutesAndNoneYet: a gateway whose routes come from
// discovery is ready with no routes (it serves what discovery says, which is
// nothing yet), says so, and is still not ready before any snapshot or while
// draining; a gateway with routes from its file alone and none at all is not.
func TestReadyWithDiscoveredRoutesAndNoneYet(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", nil)
	check := func(t *testing.T, g *Gateway, wantOK bool, wantWhy string) {
		t.Helper()
		if ok, why := g.Ready(); ok != wantOK || !strings.Contains(why, wantWhy) {
			t.Errorf("Ready() = %v %q, want %v containing %q", ok, why, wantOK, wantWhy)
		}
	}

	t.Run("fed by discovery", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{}, nil)
		h.g.DiscoversRoutes(true)
		check(t, h.g, false, "waiting for the first discovery snapshot")
		h.g.Configure(Config{}, snapshot(t, map[string][]string{"plain": {up.Addr()}}))
		check(t, h.g, true, "ready: no routes yet")

		snap := snapshot(t, map[string][]string{"inv": {up.Addr()}})
		snap.Labels = pmap.From(map[string]discovery.Labels{"inv": tags("bulwark.route=/inv")})
		h.g.Update(snap)
		if ok, why := h.g.Ready(); !ok || why != "ready" {
			t.Errorf("with a label route: Ready() = %v %q, want true \"ready\"", ok, why)
		}
		h.g.Update(snapshot(t, map[string][]string{"inv": {up.Addr()}}))
		check(t, h.g, true, "ready: no routes yet")
		h.g.Drain()
		check(t, h.g, false, "draining")
	})
	t.Run("routes from the file alone", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{}, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
		check(t, h.g, false, "no routes configured")
	})
}
