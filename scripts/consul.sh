#!/usr/bin/env bash
# Prints the absolute path of a Consul v1.14.11 agent binary, building it first
# if needed. Tests that talk to a real Consul use it (internal/consultest looks
# in the same cache), so a fresh machine needs nothing but Go:
#
#   consul=$(scripts/consul.sh)
#
# Order:
#   1. $BULWARK_CONSUL, if set and executable (a set-but-unusable value is
#      reported on stderr and ignored);
#   2. the cached build in .cache/tools/consul-1.14.11/consul (gitignored);
#   3. otherwise build it there from the tools/consul module (~4 minutes and
#      ~160 MB on 2 cores; the module keeps Consul out of the product's go.mod).
#
# The build goes to a temporary name and is renamed into place, so an
# interrupted build never leaves a half-written binary in the cache, and two
# concurrent runs at worst both build. Progress goes to stderr; stdout carries
# only the path.
set -euo pipefail

version=1.14.11
repo=$(cd "$(dirname "$0")/.." && pwd)
cache_dir="$repo/.cache/tools/consul-$version"
bin="$cache_dir/consul"

if [ -n "${BULWARK_CONSUL:-}" ]; then
  if [ -f "$BULWARK_CONSUL" ] && [ -x "$BULWARK_CONSUL" ]; then
    (cd "$(dirname "$BULWARK_CONSUL")" && printf '%s/%s\n' "$(pwd)" "$(basename "$BULWARK_CONSUL")")
    exit 0
  fi
  echo "consul.sh: BULWARK_CONSUL=$BULWARK_CONSUL is not an executable file; ignoring it" >&2
fi

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache_dir"
tmp="$cache_dir/consul.tmp.$$"
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "consul.sh: building consul v$version into $cache_dir (first run only; takes a few minutes)..." >&2
start=$SECONDS
# GOWORK=off: a go.work at the repo root must not pull the tools module into it.
# -mod=readonly: go.sum in tools/consul is complete; never rewrite it here.
(cd "$repo/tools/consul" && GOWORK=off go build -mod=readonly -trimpath -o "$tmp" github.com/hashicorp/consul)
"$tmp" version >&2
mv -f "$tmp" "$bin"
trap - EXIT INT TERM
echo "consul.sh: built in $((SECONDS - start))s" >&2
echo "$bin"
