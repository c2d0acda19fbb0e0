package config

import (
	"log/slog"
	"strings"
	"time"
)

// The accessors below apply the documented defaults where the values are used,
// without writing them back into the File, so a File still says exactly what the
// operator wrote (and an explicit "" stays distinguishable from an absent key).

// Default addresses: loopback only, so a gateway started without a config file
// exposes nothing to the network.
const (
	DefaultHTTPAddr  = "127.0.0.1:8080"
	DefaultAdminAddr = "127.0.0.1:9901"
)

// HTTPAddr is the gateway's listener address; "" means the listener is disabled.
func (f *File) HTTPAddr() string { return orDefault(f.Listen.HTTP, DefaultHTTPAddr) }

// AdminAddr is the admin listener's address; "" means it is disabled.
func (f *File) AdminAddr() string { return orDefault(f.Admin.Listen, DefaultAdminAddr) }

// ReadHeaderTimeout defaults to 10s, the slowloris protection.
func (f *File) ReadHeaderTimeout() time.Duration {
	return durationOr(f.Server.ReadHeaderTimeout, 10*time.Second)
}

// ReadTimeout bounds reading a whole request; defaults to 60s.
func (f *File) ReadTimeout() time.Duration { return durationOr(f.Server.ReadTimeout, time.Minute) }

// IdleTimeout for keep-alive connections defaults to 120s.
func (f *File) IdleTimeout() time.Duration {
	return durationOr(f.Server.IdleTimeout, 2*time.Minute)
}

// WriteTimeout defaults to 0 (none), so long responses and streams are not cut.
func (f *File) WriteTimeout() time.Duration { return f.Server.WriteTimeout.D() }

// MaxHeaderBytes defaults to 1 MiB.
func (f *File) MaxHeaderBytes() int {
	if f.Server.MaxHeaderBytes > 0 {
		return f.Server.MaxHeaderBytes
	}
	return 1 << 20
}

// AccessLog reports whether to log one line per request; defaults to true.
func (f *File) AccessLog() bool { return f.Log.AccessLog == nil || *f.Log.AccessLog }

// LogLevel is log.level as a slog.Level; defaults to info.
func (f *File) LogLevel() slog.Level {
	switch f.Log.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogFormat is "text" (the default) or "json".
func (f *File) LogFormat() string {
	if f.Log.Format == "" {
		return "text"
	}
	return f.Log.Format
}

// DrainDelay is how long /readyz fails before listeners close; defaults to 0.
func (f *File) DrainDelay() time.Duration { return f.Shutdown.DrainDelay.D() }

// Grace bounds the wait for in-flight requests at shutdown; defaults to 15s.
func (f *File) Grace() time.Duration { return durationOr(f.Shutdown.Grace, 15*time.Second) }

func orDefault(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

func durationOr(d Duration, def time.Duration) time.Duration {
	if d > 0 {
		return d.D()
	}
	return def
}

// PortalPath is where the portal is served ("" when it is off).
func (f *File) PortalPath() string {
	return strings.TrimSuffix(orDefault(f.Portal.Path, "/portal"), "/")
}

// PortalShowsInstances says whether the portal may show instance addresses:
// as portal.instances says, else only behind portal.users.
func (f *File) PortalShowsInstances() bool {
	switch f.Portal.Instances {
	case "shown":
		return true
	case "hidden":
		return false
	}
	return len(f.Portal.Users) > 0
}

// PortalShowsConsumers says whether the portal serves its consumers page:
// only behind portal.users, where every viewer has signed in. Who calls
// which API, and how much, is the operator's business; unlike instance
// addresses there is no key to show it on an open portal.
func (f *File) PortalShowsConsumers() bool {
	return len(f.Portal.Users) > 0
}
