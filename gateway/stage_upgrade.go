package gateway

import "net/http"

// upgradeStage lets a protocol upgrade through only to WebSocket and only on a
// route that allows it (checkUpgrade, sanitize.go). It needs the route, so it
// comes right after match; it comes before every other stage because it may
// remove the Upgrade header, and nothing later should see a request that is
// not the one sent upstream.
type upgradeStage struct{}

func (upgradeStage) request(_ http.ResponseWriter, r *http.Request, ex *exchange) error {
	if bad := checkUpgrade(r, ex.route); bad != nil {
		return bad
	}
	return nil
}
