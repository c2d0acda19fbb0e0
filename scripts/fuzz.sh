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

failed=0 ran=0
while read -r dir name; do
	[ -n "$name" ] || continue
	ran=$((ran + 1))
	printf '%-60s ' "$dir $name"
	log=$(mktemp)
	if go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$dir" >"$log" 2>&1 </dev/null; then
		grep -o 'execs: [0-9]*' "$log" | tail -1 || echo ok
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
