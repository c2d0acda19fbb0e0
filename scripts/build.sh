#!/usr/bin/env bash
# Builds the static bulwark binary exactly as the Dockerfile does. CI runs this
# script too (scripts/test.sh), so the image recipe cannot rot unseen even though
# no Docker engine runs here.
#
#   scripts/build.sh [OUTPUT]      default OUTPUT: bin/bulwark
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bin/bulwark}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${version}" -o "$out" ./cmd/bulwark

# The image has no libc: the binary must not be dynamically linked.
if command -v readelf >/dev/null && readelf -l "$out" | grep -q 'INTERP'; then
  echo "build.sh: $out is dynamically linked; the distroless image would not run it" >&2
  exit 1
fi
"$out" version
