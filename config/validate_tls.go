package config

// tlsBlock checks listen.https and the tls: block. Files are not read here
// (Validate is pure); the certificate store reports unreadable ones at start.
func (c *checker) tlsBlock() {
	t := c.f.TLS
	https := c.f.Listen.HTTPS
	if https != "" {
		if err := checkListenAddr(https); err != nil {
			c.report("listen.https", "%v", err)
		}
		if https == c.f.HTTPAddr() || https == c.f.AdminAddr() {
			c.report("listen.https", "%s is also another listener's address", https)
		}
		if len(t.Certificates) == 0 && t.Dir == "" && !t.Dev {
			c.report("listen.https", "needs a certificate: tls.certificates, tls.dir, or tls.dev: true for a self-signed one")
		}
	}
	for i, p := range t.Certificates {
		path := indexPath("tls.certificates", i)
		if p.Cert == "" {
			c.missing(path+".cert", path+".cert", "the certificate file is required")
		}
		if p.Key == "" {
			c.missing(path+".key", path+".key", "the key file is required")
		}
	}
	switch t.MinVersion {
	case "", "1.2", "1.3":
	default:
		c.report("tls.min_version", "unknown version %q (want 1.2 or 1.3; older ones are not safe)", t.MinVersion)
	}
	if t.HSTS < 0 {
		c.report("tls.hsts", "must not be negative")
	}
	if c.f.Listen.H2C && c.f.HTTPAddr() == "" {
		c.report("listen.h2c", "there is no listen.http listener to speak h2c on")
	}
	if t.RedirectHTTP && https == "" {
		c.report("tls.redirect_http", "there is no listen.https to redirect to")
	}
}
