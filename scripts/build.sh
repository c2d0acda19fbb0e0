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
# The binary's size is part of its memory: the kernel maps its pages as they
# are touched, and about 17 MiB of bulwark's ~29 MiB peak RSS under load are
# the binary's own (bench/RESULTS.md, "peak RSS and the collector's pacing").
# go-redis alone once added 8 MB. A dependency that grows the binary past this
# budget should be a decision, not an accident: raise the number with the
# reason in the same commit.
max_bytes=$((24 * 1024 * 1024))
size=$(stat -c %s "$out")
if ((size > max_bytes)); then
  echo "build.sh: $out is $size bytes, over the $max_bytes-byte budget; see the comment above this check" >&2
  exit 1
fi
"$out" version
