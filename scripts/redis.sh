#!/usr/bin/env bash
# Prints the absolute path of a redis-server binary, installing Debian's
# redis-server package first when none is on PATH. Tests of shared rate limits
# use it (internal/redistest finds the same binary on PATH, or in
# $BULWARK_REDIS), so a fresh machine needs only apt:
#
#   BULWARK_REDIS=$(scripts/redis.sh)
#
# Order:
#   1. $BULWARK_REDIS, if set and executable (a set-but-unusable value is
#      reported on stderr and ignored);
#   2. redis-server on PATH;
#   3. otherwise, as root only, `apt-get install -y -qq redis-server`, running
#      `apt-get update -qq` first and trying again when the package lists do
#      not know it yet (a fresh container has none).
#
# The package's service is not started (no systemd here); the tests run their
# own server per test on a free loopback port. Progress goes to stderr; stdout
# carries only the path. Exits non-zero, saying why, when it cannot.
set -euo pipefail

if [ -n "${BULWARK_REDIS:-}" ]; then
  if [ -f "$BULWARK_REDIS" ] && [ -x "$BULWARK_REDIS" ]; then
    (cd "$(dirname "$BULWARK_REDIS")" && printf '%s/%s\n' "$(pwd)" "$(basename "$BULWARK_REDIS")")
    exit 0
  fi
  echo "redis.sh: BULWARK_REDIS=$BULWARK_REDIS is not an executable file; ignoring it" >&2
fi

if bin=$(command -v redis-server); then
  echo "$bin"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "redis.sh: redis-server is not installed and this is not root; install Debian's redis-server package (apt-get install redis-server) or set BULWARK_REDIS" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "redis.sh: redis-server is not installed and there is no apt-get to install it; set BULWARK_REDIS" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "redis.sh: installing redis-server with apt-get..." >&2
apt=(apt-get -o DPkg::Lock::Timeout=300)
if ! "${apt[@]}" install -y -qq redis-server >&2; then
  echo "redis.sh: apt-get install failed; updating the package lists and trying again" >&2
  "${apt[@]}" update -qq >&2
  "${apt[@]}" install -y -qq redis-server >&2
fi

if ! bin=$(command -v redis-server); then
  echo "redis.sh: apt-get installed redis-server but it is not on PATH" >&2
  exit 1
fi
"$bin" --version >&2
echo "$bin"
