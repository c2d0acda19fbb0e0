#!/usr/bin/env bash
# bench/consul/run.sh: how fast bulwark follows Consul. For each cluster size a
# fresh Consul dev agent gets SERVICES services of 5 instances each; bulwark
# watches it, and EVENTS registrations, check failures and deregistrations of
# a probe service are timed from the Consul API call to the first request
# through bulwark that shows the change, with bulwark's CPU per change.
# See bench/README.md ("Convergence with Consul").
#
#   bash bench/consul/run.sh                          # SERVICES=10,100,1000 EVENTS=50
#   SERVICES=10,100 EVENTS=20 bash bench/consul/run.sh
#   BULWARK_BIN=/path/to/bulwark bash bench/consul/run.sh   # a prebuilt bulwark
#   PORTAL=on bash bench/consul/run.sh                # with the portal's catalog on (default off)
#
# The report goes to stdout and bench/results/convergence.md (git-ignored);
# progress goes to stderr. Linux only; loopback only; every process started is
# stopped on exit, error or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

SERVICES=${SERVICES:-10,100,1000}
EVENTS=${EVENTS:-50}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-convergence-run.XXXXXX")
pid=
cleanup() {
	if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

consul=$(./scripts/consul.sh)
# What is measured, taken before building: the commit and any uncommitted change
# outside bench/ (others may be editing the tree while this runs).
commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
dirty=$(git diff --name-only HEAD -- . ':(exclude)bench' 2>/dev/null | tr '\n' ' ' || true)
if [[ -n ${BULWARK_BIN:-} ]]; then
	bulwark=$BULWARK_BIN
	what="prebuilt bulwark $BULWARK_BIN"
else
	bulwark=$tmp/bulwark
	go build -o "$bulwark" ./cmd/bulwark
	what="bulwark built from commit $commit${dirty:+ with uncommitted changes to ${dirty% }}"
fi
go build -o "$tmp/convergence" ./bench/cmd/convergence
mkdir -p bench/results
out=bench/results/convergence.md

# The program runs in the background so that a signal reaches this trap at once;
# it stops its own children (consul, bulwark) when it gets SIGTERM.
"$tmp/convergence" -consul "$consul" -bulwark "$bulwark" \
	-services "$SERVICES" -events "$EVENTS" >"$tmp/report.md" &
pid=$!
wait "$pid"
pid=

{
	echo '```'
	echo "${BULWARK_BIN:+BULWARK_BIN=$BULWARK_BIN }${PORTAL:+PORTAL=$PORTAL }SERVICES=$SERVICES EVENTS=$EVENTS bash bench/consul/run.sh"
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $what; $(nproc) CPUs, $("$consul" version | head -1), $(go env GOVERSION)"
	echo '```'
	echo
	cat "$tmp/report.md"
} | tee "$out"
echo "convergence: report written to $out" >&2
