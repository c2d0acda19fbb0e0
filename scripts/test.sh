#!/usr/bin/env bash
# The one command that runs every test of bulwark on a fresh machine:
#
#   ./scripts/test.sh
#
# It installs what the tests need, checks formatting and vet, builds the release
# binary the way the Dockerfile does, and runs every package's tests with the race
# detector. .ci/run calls this script and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
go version

step "dependencies"
go mod download
go mod verify

step "format (gofmt)"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "vet"
go vet ./...

step "release build (the Dockerfile's recipe)"
grep -q 'scripts/build.sh' Dockerfile || { echo "Dockerfile no longer builds with scripts/build.sh"; exit 1; }
./scripts/build.sh bin/bulwark

step "consul (a real agent for the discovery tests; built once, then cached)"
BULWARK_CONSUL=$(./scripts/consul.sh)
export BULWARK_CONSUL
"$BULWARK_CONSUL" version | sed -n 1p # sed reads it all: head would SIGPIPE consul, and pipefail would stop the run

step "conformance tools (h2spec, testssl.sh, chromium) for the TLS and portal tests"
eval "$(./scripts/conformance-tools.sh)"
echo "h2spec: ${BULWARK_H2SPEC:-missing}  testssl: ${BULWARK_TESTSSL:-missing}  chromium: ${BULWARK_CHROMIUM:-missing}"

step "tests (race detector on)"
go test -race -count=1 -timeout 15m ./...

step "fuzz (every target, ${FUZZTIME:-10s} each; a crash is kept under testdata/fuzz)"
./scripts/fuzz.sh
