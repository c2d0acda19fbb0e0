package gateway

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// routeLines returns the gateway's route log lines logged since *seen, and
// moves *seen past them.
func routeLines(t *testing.T, h *harness, seen *int) []map[string]any {
	t.Helper()
	var out []map[string]any
	all := h.logs.lines(t, "gateway")
	for _, l := range all[*seen:] {
		if msg, _ := l["msg"].(string); strings.HasPrefix(msg, "route") {
			out = append(out, l)
		}
	}
	*seen = len(all)
	return out
}

// TestRouteChangesAreLogged: every change of the route table a discovery
// update makes is one INFO line naming the service, host and path, a change
// of many routes at once is one line with counts and a sample, and an update
// that moves no route logs nothing. Both ways an update is applied (a
// snapshot that names what changed, and one that does not) are checked.
func TestRouteChangesAreLogged(t *testing.T) {
	t.Parallel()
	for _, incremental := range []bool{false, true} {
		t.Run(fmt.Sprint("incremental=", incremental), func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, "up", nil)
			h := newHarness(t, Config{}, nil)
			seen := 0
			update := func(addrs []string, labels map[string]discovery.Labels, changed ...string) {
				services := map[string][]string{}
				for name := range labels {
					services[name] = addrs
				}
				snap := snapshot(t, services)
				snap.Labels = pmap.From(labels)
				if incremental {
					snap.Changed = changed
				}
				h.g.Update(snap)
			}
			expect := func(what string, want ...string) {
				t.Helper()
				var got []string
				for _, l := range routeLines(t, h, &seen) {
					if l["level"] != "INFO" {
						t.Errorf("%s: route line at %v, want INFO: %v", what, l["level"], l)
					}
					s := fmt.Sprintf("%v service=%v host=%v path=%v", l["msg"], l["service"], l["host"], l["path"])
					if l["msg"] == "route changed" {
						s += fmt.Sprintf(" was=%v", l["was"])
					}
					if l["msg"] == "routes changed" {
						s = fmt.Sprintf("%v count=%v added=%v removed=%v changed=%v", l["msg"], l["count"], l["added"], l["removed"], l["changed"])
						if !strings.Contains(fmt.Sprint(l["sample"]), "/r00 → s00") {
							t.Errorf("%s: sample %q does not name the first route", what, l["sample"])
						}
					}
					got = append(got, s)
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s: route lines\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			}
			h.g.Configure(Config{}, snapshot(t, map[string][]string{}))
			expect("an empty start")

			update([]string{up.Addr()}, map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory", "bulwark.host=inv.example.com")}, "inv")
			expect("a labelled service registering", "route added service=inv host=inv.example.com path=/inventory")

			update([]string{up.Addr(), "127.0.0.1:1"}, map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory", "bulwark.host=inv.example.com")}, "inv")
			expect("a second instance (no route moves)")

			update([]string{up.Addr()}, map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory", "bulwark.host=inv.example.com", "bulwark.strip-prefix=true")}, "inv")
			expect("an option changing", "route changed service=inv host=inv.example.com path=/inventory was=strip_prefix false")

			update([]string{up.Addr()}, map[string]discovery.Labels{"inv": tags("bulwark.route=/stock", "bulwark.host=inv.example.com", "bulwark.strip-prefix=true")}, "inv")
			expect("the route tag changing", "route removed service=inv host=inv.example.com path=/inventory",
				"route added service=inv host=inv.example.com path=/stock")

			many := map[string]discovery.Labels{"inv": tags("bulwark.route=/stock", "bulwark.host=inv.example.com", "bulwark.strip-prefix=true")}
			var names []string
			for i := range 20 {
				n := fmt.Sprintf("s%02d", i)
				many[n] = tags(fmt.Sprintf("bulwark.route=/r%02d", i))
				names = append(names, n)
			}
			update([]string{up.Addr()}, many, names...)
			expect("twenty services registering at once", "routes changed count=20 added=20 removed=0 changed=0")

			update([]string{up.Addr()}, map[string]discovery.Labels{}, append(names, "inv")...)
			expect("every service leaving", "routes changed count=21 added=0 removed=21 changed=0")
		})
	}
}
