#!/usr/bin/env bash
# The one command that runs every test of bulwark on a fresh machine:
#
#   ./scripts/test.sh
#
# It installs what the tests need, checks formatting and vet, builds the release
# binary the way the Dockerfile does, and runs every package's tests with the race
# detector. .ci/run calls this script and nothing else.
#
# The tool installs (a Consul agent built from source, h2spec, testssl.sh,
# chromium and redis-server) start first, in the background, and overlap with
# the work that does not need them: formatting, vet, the release build and the
# tests of every package that reads none of BULWARK_CONSUL / BULWARK_CHROMIUM /
# BULWARK_H2SPEC / BULWARK_TESTSSL / BULWARK_REDIS. Then the script waits for the installs (a failure stops the
# run with their logs) and tests the packages that use the tools. Every step
# prints when it started and how long the previous one took; a summary of the
# steps closes the run, whether it passed or not.
set -euo pipefail
cd "$(dirname "$0")/.."

run_start=$SECONDS
step_name="" step_start=$SECONDS
timings=()
end_step() {
  if [ -n "$step_name" ]; then
    timings+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$step_name")")
    printf '    (%s: %ds)\n' "$step_name" $((SECONDS - step_start))
  fi
}
step() {
  end_step
  step_name=$*
  step_start=$SECONDS
  printf '\n==> [+%ds] %s\n' $((SECONDS - run_start)) "$*"
}

# The tool installs run in the background; their stdout (the env assignments
# and paths the tests need) and stderr (progress) go to files in $work.
work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-test.XXXXXX")
consul_pid="" conformance_pid=""
finish() {
  rc=$?
  end_step
  # Stop only the installs this script started, if they are still running
  # (the run failed before waiting for them).
  for pid in $consul_pid $conformance_pid; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$work"
  printf '\n==> step timings (total %ds, exit %d)\n' $((SECONDS - run_start)) "$rc"
  printf '%s\n' "${timings[@]}"
  exit "$rc"
}
trap finish EXIT

step "tool installs, in the background: consul (scripts/consul.sh), h2spec, testssl.sh, chromium, redis-server (scripts/conformance-tools.sh)"
./scripts/consul.sh >"$work/consul.out" 2>"$work/consul.log" &
consul_pid=$!
./scripts/conformance-tools.sh >"$work/conformance.out" 2>"$work/conformance.log" &
conformance_pid=$!
echo "consul.sh pid $consul_pid, conformance-tools.sh pid $conformance_pid; logs in $work"

# await NAME PID LOG: waits for one background install; on failure, stops the
# run with its exit status and its log.
await() {
  local rc=0
  wait "$2" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "scripts/$1 failed (exit $rc); its log:" >&2
    sed 's/^/    /' "$3" >&2
    exit 1
  fi
  [ -s "$3" ] && sed 's/^/    /' "$3"
  return 0
}

# The packages whose tests use the tools: every test file naming one of the
# tool variables or the Consul and Redis helpers (internal/consultest,
# internal/redistest), and ./test (the end-to-end suite) in any case.
# Benchmarks do not count: CI runs no benchmark. Everything else runs while
# the tools install.
mapfile -t tool_dirs < <(
  { echo ./test
    grep -rlE 'BULWARK_(CONSUL|CHROMIUM|H2SPEC|TESTSSL|REDIS)|consultest|redistest' --include='*_test.go' --exclude='*_bench_test.go' . |
      grep -v '^\./\.cache/' | xargs -r -n1 dirname; } | sort -u)

step "toolchain"
go version

step "dependencies"
go mod download
go mod verify

mapfile -t tool_pkgs < <(go list "${tool_dirs[@]}")
mapfile -t other_pkgs < <(go list ./... | grep -vxF -f <(printf '%s\n' "${tool_pkgs[@]}"))

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

step "tests of the ${#other_pkgs[@]} packages that need no tools (race detector on)"
go test -race -count=1 -timeout 15m "${other_pkgs[@]}"

step "wait for consul"
await consul.sh "$consul_pid" "$work/consul.log"
BULWARK_CONSUL=$(tail -n 1 "$work/consul.out")
[ -n "$BULWARK_CONSUL" ] || { echo "scripts/consul.sh printed no path" >&2; exit 1; }
export BULWARK_CONSUL
"$BULWARK_CONSUL" version | sed -n 1p # sed reads it all: head would SIGPIPE consul, and pipefail would stop the run

step "wait for the conformance tools"
await conformance-tools.sh "$conformance_pid" "$work/conformance.log"
eval "$(cat "$work/conformance.out")"
echo "h2spec: ${BULWARK_H2SPEC:-missing}  testssl: ${BULWARK_TESTSSL:-missing}  chromium: ${BULWARK_CHROMIUM:-missing}  redis: ${BULWARK_REDIS:-missing}"

step "tests of the packages that use the tools: ${tool_pkgs[*]#github.com/bulwark-gw/bulwark/} (race detector on)"
go test -race -count=1 -timeout 15m "${tool_pkgs[@]}"

step "properties the race detector distorts, without it (stack sizes)"
go test -count=1 -run '^TestParkedWatchesKeepSmallStacks$' ./discovery

step "fuzz (every target, ${FUZZTIME:-10s} each; a crash is kept under testdata/fuzz)"
./scripts/fuzz.sh
