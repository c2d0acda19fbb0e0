#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for a bounded time each:
#
#   ./scripts/fuzz.sh                 # FUZZTIME=10s per target
#   FUZZTIME=5m ./scripts/fuzz.sh     # a longer hunt
#   ./scripts/fuzz.sh ./gateway       # one package's targets
#
# Targets are found by name (func FuzzX(f *testing.F) in a _test.go file), so a
# new one runs without being listed here. A crash fails the run; go test saves
# its input under the package's testdata/fuzz/, where it stays as a test case
# that every `go test` run replays (commit it with the fix).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-10s}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

# deadline_race reports a run that failed only with Go's own fuzz coordinator
# race at the end of -fuzztime (go#75804, fixed in Go 1.27): the bare
# "context deadline exceeded" that internal/fuzz prints when a worker's stop
# escapes its filter, with no failing input written. A target's own failure
# names its file and line and writes its input, so it never matches.
deadline_race() {
	grep -qx '    context deadline exceeded' "$1" && ! grep -q 'Failing input written' "$1" &&
		[ "$(grep -c '^    ' "$1")" -eq 1 ]
}

# corpus_size counts a target's saved inputs (none when it has no directory).
corpus_size() {
	if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi
}

failed=0 ran=0
while read -r dir name; do
	[ -n "$name" ] || continue
	ran=$((ran + 1))
	printf '%-60s ' "$dir $name"
	log=$(mktemp)
	corpus="$dir/testdata/fuzz/$name"
	before=$(corpus_size "$corpus")
	if go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$dir" >"$log" 2>&1 </dev/null; then
		grep -o 'execs: [0-9]*' "$log" | tail -1 || echo ok
	elif deadline_race "$log" && [ "$(corpus_size "$corpus")" -eq "$before" ]; then
		echo "ok (the toolchain's end-of-fuzztime race, go#75804: no crasher)"
	else
		echo FAILED; cat "$log"; failed=1
	fi
	rm -f "$log"
done < <(go list -f '{{.Dir}}' "${pkgs[@]}" | while read -r d; do
	# A package without targets is no error (grep's status 1 would end the loop under pipefail).
	{ grep -ho '^func Fuzz[A-Za-z0-9_]*(' "$d"/*_test.go 2>/dev/null || true; } | sed 's/^func //; s/($//' | sort -u |
		sed "s|^|./$(realpath --relative-to=. "$d") |"
done)
# Finding nothing means the search broke, not that there is nothing to fuzz.
[ "$ran" -gt 0 ] || { echo "fuzz.sh: no fuzz targets found in ${pkgs[*]}" >&2; exit 1; }
exit $failed
