package config

import (
	"net/url"
	"strings"
)

// portal checks portal.path: the portal and its catalog API are served under
// it on the gateway's listeners, ahead of the routes.
func (c *checker) portal() {
	if p := c.f.Portal.Path; p != nil && *p != "" && (!strings.HasPrefix(*p, "/") || strings.ContainsAny(*p, "?# ")) {
		c.report("portal.path", "%q must be an absolute path (like /portal) or \"\" to turn the portal off", *p)
	}
	for user, pw := range c.f.Portal.Users {
		if user == "" || strings.ContainsAny(user, ": ") {
			c.report("portal.users", "%q is not a user name (no colon or space)", user)
		}
		if len(pw) < 12 {
			c.report(keyPath("portal.users", user), "the password is shorter than 12 characters")
		}
	}
	if v := c.f.Portal.Instances; v != "" && v != "shown" && v != "hidden" {
		c.report("portal.instances", "%q must be \"shown\" or \"hidden\"", v)
	}
	if u := c.f.Portal.PublicURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" ||
			pu.RawQuery != "" || pu.Fragment != "" || pu.User != nil {
			c.report("portal.public_url", "%q must be an http(s) URL with a host and no query", u)
		}
	}
}
