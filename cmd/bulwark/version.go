package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is set by the release build (scripts/build.sh, the Dockerfile):
// -ldflags "-X main.version=v1.2.3". Unset, it is "dev", or the module version
// when the binary was built by `go install ...@v1.2.3`.
var version = "dev"

// build is what a binary knows about where it came from.
type build struct {
	Version  string // v1.2.3, or dev
	Revision string // the VCS commit, "" when unknown
	Time     string // the commit's time (RFC 3339), "" when unknown
	Modified bool   // built from a work tree with uncommitted changes
}

// readBuild reads the build from the linker flag and from the VCS stamp that
// `go build` embeds when it builds in a git work tree (unless -buildvcs=false).
func readBuild() build {
	bi, _ := debug.ReadBuildInfo()
	return buildFrom(version, bi)
}

// buildFrom is readBuild from given values, so tests can hand it a BuildInfo.
func buildFrom(v string, bi *debug.BuildInfo) build {
	b := build{Version: v}
	if bi == nil {
		return b
	}
	if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one line `bulwark version` prints, as `go version -m` and
// Prometheus' version command show a build: the version, then the commit (12
// digits, as git abbreviates for a large repository), its time and whether
// the tree was modified, then platform and Go:
//
//	bulwark v1.2.3 (commit 0830b50c1a2b, 2026-12-02T23:07:31Z, modified) linux/amd64 go1.26.0
func (b build) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "bulwark %s", b.Version)
	if b.Revision != "" {
		fmt.Fprintf(&s, " (commit %s", shortRevision(b.Revision))
		if b.Time != "" {
			fmt.Fprintf(&s, ", %s", b.Time)
		}
		if b.Modified {
			s.WriteString(", modified")
		}
		s.WriteString(")")
	}
	fmt.Fprintf(&s, " %s/%s %s", runtime.GOOS, runtime.GOARCH, runtime.Version())
	return s.String()
}

func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

// versionString is the running binary's version line.
func versionString() string { return readBuild().String() }
