#!/usr/bin/env bash
# Installs the conformance tools the TLS tests run against bulwark's HTTPS
# listener, and prints two lines of shell to export where they are:
#
#   eval "$(scripts/conformance-tools.sh)"
#
# - h2spec v2.2.1 (HTTP/2 conformance), built with `go install` into
#   .cache/tools/h2spec-2.2.1 (gitignored) the first time (a few seconds);
# - testssl.sh (TLS configuration), chromium (the portal's browser tests) and
#   redis-server (shared rate limits, scripts/redis.sh), Debian's packages,
#   installed with apt-get when missing and this runs as root.
# A tool that cannot be installed is reported on stderr and left out; the
# tests then skip, or fail under CI.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

h2dir="$repo/.cache/tools/h2spec-2.2.1"
if [ ! -x "$h2dir/h2spec" ]; then
  echo "conformance-tools.sh: building h2spec into $h2dir" >&2
  mkdir -p "$h2dir"
  (cd "$h2dir" && GOBIN="$h2dir" GOFLAGS= go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible) >&2 ||
    echo "conformance-tools.sh: could not build h2spec" >&2
fi
[ -x "$h2dir/h2spec" ] && echo "export BULWARK_H2SPEC=$h2dir/h2spec"

testssl=$(command -v testssl || command -v testssl.sh || true)
if [ -z "$testssl" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "conformance-tools.sh: installing testssl.sh (Debian)" >&2
  { apt-get install -y -qq testssl.sh || { apt-get update -qq && apt-get install -y -qq testssl.sh; }; } >&2 ||
    echo "conformance-tools.sh: could not install testssl.sh" >&2
  testssl=$(command -v testssl || command -v testssl.sh || true)
fi
[ -n "$testssl" ] && echo "export BULWARK_TESTSSL=$testssl"

# Chromium (Debian's) for the portal's browser tests, driven by chromedp.
chromium=$(command -v chromium || true)
if [ -z "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "conformance-tools.sh: installing chromium (Debian)" >&2
  { apt-get install -y -qq chromium || { apt-get update -qq && apt-get install -y -qq chromium; }; } >&2 ||
    echo "conformance-tools.sh: could not install chromium" >&2
  chromium=$(command -v chromium || true)
fi
[ -n "$chromium" ] && echo "export BULWARK_CHROMIUM=$chromium"

# redis-server (Debian's) for shared rate limits, after the other apt
# installs: two apt-get runs at once would fight over the dpkg lock.
if redis=$("$repo/scripts/redis.sh"); then
  echo "export BULWARK_REDIS=$redis"
else
  echo "conformance-tools.sh: could not install redis-server" >&2
fi
exit 0
