#!/usr/bin/env bash
# Builds the static bulwark binary exactly as the Dockerfile does. CI runs this
# script too (scripts/test.sh), so the image recipe cannot rot unseen even though
# no Docker engine runs here.
#
#   scripts/build.sh [OUTPUT]      default OUTPUT: bin/bulwark
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bin/bulwark}
# The version is the tag (VERSION=v1.2.3 or git describe); -X sets it in main.
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

# Stamp the commit, its time and the dirty flag (bulwark version prints them)
# whenever git can answer for this tree, even if GOFLAGS says -buildvcs=false;
# a tree without git (a source tarball) builds without them.
vcs=-buildvcs=false
if git status --porcelain >/dev/null 2>&1; then
  vcs=-buildvcs=true
fi

CGO_ENABLED=0 go build -trimpath "$vcs" -ldflags "-s -w -X main.version=${version}" -o "$out" ./cmd/bulwark

# The image has no libc: the binary must not be dynamically linked.
if command -v readelf >/dev/null && readelf -l "$out" | grep -q 'INTERP'; then
  echo "build.sh: $out is dynamically linked; the distroless image would not run it" >&2
  exit 1
fi
"$out" version
