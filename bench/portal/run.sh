#!/usr/bin/env bash
# bench/portal/run.sh: the documentation portal in a real browser (issue 7).
# Builds bulwark and bench/cmd/portalbench, which serves a deterministic 2 MB
# OpenAPI 3.0 document from an upstream on 127.0.0.1, routes it through the
# real bulwark binary, and measures in headless Chromium the first view of the
# catalog, the service page and an operation page, search-as-you-type latency,
# and Swagger UI on the same document as the baseline of the same run.
# See bench/README.md ("The portal in the browser").
#
#   bash bench/portal/run.sh                 # RUNS=15
#   RUNS=5 bash bench/portal/run.sh
#   BULWARK_BIN=/path/to/bulwark bash bench/portal/run.sh   # a prebuilt bulwark
#   BULWARK_CHROMIUM=/path/to/chromium bash bench/portal/run.sh
#
# Swagger UI comes from npm (`npm pack swagger-ui-dist@5`), kept in
# .cache/swagger-ui-dist/; when npm fails the baseline is reported unavailable
# and the rest still runs. The report goes to stdout and
# bench/results/portal.md (git-ignored); progress goes to stderr. Loopback
# only; every process started is stopped on exit, error or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-15}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-portal-run.XXXXXX")
pid=
cleanup() {
	if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
go build -o "$tmp/portalbench" ./bench/cmd/portalbench

# The baseline: swagger-ui-dist 5 from npm, packed and extracted once into
# .cache/swagger-ui-dist/package/. A failure here only drops the baseline.
swdir=.cache/swagger-ui-dist
swargs=()
if [[ ! -f $swdir/package/swagger-ui-bundle.js ]]; then
	echo "portal: fetching swagger-ui-dist@5 with npm pack into $swdir" >&2
	mkdir -p "$swdir" "$tmp/npm"
	if tgz=$(cd "$tmp/npm" && timeout 180 npm pack --silent swagger-ui-dist@5 2>"$tmp/npm.err") &&
		[[ -n $tgz && -f $tmp/npm/$tgz ]] &&
		tar -xzf "$tmp/npm/$tgz" -C "$tmp/npm" &&
		[[ -f $tmp/npm/package/swagger-ui-bundle.js ]]; then
		rm -rf "$swdir/package"
		mv "$tmp/npm/$tgz" "$swdir/"
		mv "$tmp/npm/package" "$swdir/package"
	else
		reason=$(tr '\n' ' ' <"$tmp/npm.err" 2>/dev/null | sed 's/ *$//' || true)
		swargs=(-swagger-ui-note "npm pack swagger-ui-dist@5 failed${reason:+: ${reason:0:300}}")
		echo "portal: npm failed, the baseline will be reported unavailable" >&2
	fi
fi
if [[ -f $swdir/package/swagger-ui-bundle.js ]]; then
	swver=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$swdir/package/package.json" | sed -n 1p)
	swargs=(-swagger-ui "$swdir/package" -swagger-ui-note "Swagger UI ${swver:-?} (swagger-ui-dist from npm)")
fi

mkdir -p bench/results
out=bench/results/portal.md

# The program runs in the background so that a signal reaches this trap at once;
# it stops its own children (bulwark, Chromium, its servers) when it gets SIGTERM.
# The load average before and after says whether something else was running
# (a build, tests): this machine's figures move with it.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$tmp/portalbench" -bulwark "$bulwark" -runs "$RUNS" "${swargs[@]}" >"$tmp/report.md" &
pid=$!
wait "$pid"
pid=
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
	echo '```'
	echo "${BULWARK_BIN:+BULWARK_BIN=$BULWARK_BIN }RUNS=$RUNS bash bench/portal/run.sh"
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $what; $(nproc) CPUs, $(go env GOVERSION)"
	echo "load average (1, 5, 15 min) before: $load_before, after: $load_after"
	echo '```'
	echo
	cat "$tmp/report.md"
} | tee "$out"
echo "portal: report written to $out" >&2
