#!/usr/bin/env bash
# Runs the public HTTP cache test suite, the one whose results cache-tests.fyi
# publishes (https://github.com/http-tests/cache-tests), through bulwark's cache,
# and prints its results beside those the suite publishes for other caches:
#
#   CACHE_TESTS=/path/to/cache-tests bash bench/cachetests.sh
#
# CACHE_TESTS is a checkout of that repository with `npm install` done in it;
# nothing of it is kept in this repository. The suite's own origin listens on
# ORIGIN_PORT and bulwark on PROXY_PORT (loopback; defaults 18000 and 18001).
# CACHE_POLICY is the service's cache: block (default `{enabled: true}`); try
# `{enabled: true, serve_stale_on_error: 1h, heuristic: true}` for the opt-in
# behaviours. BULWARK_BIN is the binary to test (default: built from this tree).
#
# The breaker and outlier ejection are off for the run: the suite's origin
# answers 5xx and drops connections on purpose, and with one instance and the
# default breaker five such answers in a row would turn every request for ten
# seconds into bulwark's own 503.
#
# The summary uses the suite's own classification (test-engine/lib/results.mjs):
# pass, fail (a required test: a conformance problem), optional_fail, yes/no
# (checks of behaviour the specification leaves open), setup_fail and
# dependency_fail. The exit status is 1 when a required test failed.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${CACHE_TESTS:?set CACHE_TESTS to a checkout of github.com/http-tests/cache-tests with npm install done}"
ORIGIN_PORT=${ORIGIN_PORT:-18000}
PROXY_PORT=${PROXY_PORT:-18001}
CACHE_POLICY=${CACHE_POLICY:-"{enabled: true}"}
CACHE_TESTS=$(cd "$CACHE_TESTS" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-cachetests.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

bin=${BULWARK_BIN:-}
if [ -z "$bin" ]; then
	bin=$tmp/bulwark
	go build -o "$bin" ./cmd/bulwark
fi

cat >"$tmp/bulwark.yaml" <<-YAML
	listen:
	  http: 127.0.0.1:$PROXY_PORT
	admin:
	  listen: ""
	log:
	  access_log: false
	portal:
	  path: ""
	discovery:
	  static:
	    - service: origin
	      instances: ["127.0.0.1:$ORIGIN_PORT"]
	defaults:
	  breaker: {failures: 0}
	  outlier: {consecutive_failures: 0}
	  cache: $CACHE_POLICY
	routes:
	  - path: /
	    service: origin
YAML

(cd "$CACHE_TESTS" && npm_config_port=$ORIGIN_PORT npm_config_protocol=http npm_config_pidfile="$tmp/origin.pid" \
	exec node test-engine/server/server.mjs >"$tmp/origin.log" 2>&1) &
pids+=($!)
"$bin" serve -c "$tmp/bulwark.yaml" >"$tmp/bulwark.log" 2>&1 &
pids+=($!)

# Both listen within seconds; wait for each (bounded).
for port in "$ORIGIN_PORT" "$PROXY_PORT"; do
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue 2; fi
		sleep 0.1
	done
	echo "cachetests.sh: nothing listens on 127.0.0.1:$port; logs:" >&2
	cat "$tmp/origin.log" "$tmp/bulwark.log" >&2
	exit 2
done

echo "bulwark $("$bin" version 2>/dev/null | head -1), cache: $CACHE_POLICY" >&2
(cd "$CACHE_TESTS" && npm_config_base="http://127.0.0.1:$PROXY_PORT" npm_package_config_id= \
	node --no-warnings test-engine/cli.mjs) >"$tmp/results.json"

cp "$tmp/results.json" "${RESULTS_OUT:-/dev/null}"
cat >"$tmp/summary.mjs" <<-'JS'
	// Prints one table row per results file, classified as the suite does.
	import fs from 'fs'
	const dir = process.argv[2]
	const { default: tests } = await import(`${dir}/tests/index.mjs`)
	const { determineTestResult, resultTypes } = await import(`${dir}/test-engine/lib/results.mjs`)
	const kinds = Object.fromEntries(Object.entries(resultTypes).map(([k, v]) => [v[2], k]))
	const cols = ['pass', 'fail', 'optional_fail', 'yes', 'no', 'setup_fail', 'dependency_fail']
	console.log(`| cache | ${cols.join(' | ')} |`)
	console.log(`|---|${cols.map(() => '---:').join('|')}|`)
	const failed = []
	for (const file of process.argv.slice(3)) {
	  const res = JSON.parse(fs.readFileSync(file))
	  const n = {}
	  for (const suite of tests) {
	    for (const t of suite.tests) {
	      const k = kinds[determineTestResult(tests, t.id, res)[2]]
	      n[k] = (n[k] || 0) + 1
	      if (k === 'fail' && file.endsWith('/results.json')) failed.push(`${t.id}: ${t.name} (${JSON.stringify(res[t.id])})`)
	    }
	  }
	  const name = file.endsWith('/results.json') ? '**bulwark**' : file.replace(/.*\//, '').replace(/\.json$/, '')
	  console.log(`| ${name} | ${cols.map(c => n[c] || 0).join(' | ')} |`)
	}
	if (failed.length) console.log('\nRequired tests bulwark failed:\n- ' + failed.join('\n- '))
	process.exitCode = failed.length ? 1 : 0
JS
node "$tmp/summary.mjs" "$CACHE_TESTS" "$tmp/results.json" "$CACHE_TESTS"/results/*.json
