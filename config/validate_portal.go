package config

import "strings"

// portal checks portal.path: the portal and its catalog API are served under
// it on the gateway's listeners, ahead of the routes.
func (c *checker) portal() {
	if p := c.f.Portal.Path; p != nil && *p != "" && (!strings.HasPrefix(*p, "/") || strings.ContainsAny(*p, "?# ")) {
		c.report("portal.path", "%q must be an absolute path (like /portal) or \"\" to turn the portal off", *p)
	}
}
