# shellcheck shell=bash
# bench/lib.sh: what the interleaved benchmarks (ratio.sh, tls.sh) share.
# Sourced, not run. After it: $tmp is a fresh temporary folder, every pid
# added to pids is killed on exit (normal, error or Ctrl-C) and $tmp removed;
# free_port sets $port to a loopback port nobody listens on; median reads
# numbers on stdin and prints their median; cpu_ticks and core_busy read the
# CPU time of a process and of a core (for req/s per proxy core);
# traefik_binary finds or builds the Traefik the peers' targets run.

# bench_init NAME: the temporary folder and the cleanup.
bench_init() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-$1.XXXXXX")
	pids=()
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}

# free_port: a port nobody listens on, from a range below the ephemeral one,
# in $port (read by the scripts that source this).
next_port=$((20000 + RANDOM % 20000))
free_port() {
	while (echo >"/dev/tcp/127.0.0.1/$next_port") 2>/dev/null; do next_port=$((next_port + 1)); done
	# shellcheck disable=SC2034 # read by the scripts that source this
	port=$next_port
	next_port=$((next_port + 1))
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# cpu_ticks PID: the user and system clock ticks (CLK_TCK a second, $hz) of
# the process and its children so far (fields 14 and 15 of /proc/PID/stat,
# counted after the command name, which may hold spaces). Children count for
# nginx, whose worker does the work. Read it before and after a load: the
# difference over the load's wall time is the share of a core the proxy used.
# shellcheck disable=SC2034 # read by the scripts that source this
hz=$(getconf CLK_TCK)
cpu_ticks() {
	local total=0 p
	for p in "$1" $(pgrep -P "$1" || true); do
		total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
	done
	echo "$total"
}

# core_busy N: the clock ticks CPU N has spent busy (not idle, not waiting for
# I/O) since boot, from /proc/stat. Over a load, CPU N's busy ticks minus the
# pinned proxy's own say how much of its core something else took.
core_busy() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# traefik_binary: sets traefik_bin to Traefik TRAEFIK_VERSION (default v3.7.9)
# in the repository's .cache/bench (git-ignored, never committed), building it
# there once when it is missing. Its source comes from TRAEFIK_GIT, a git
# directory of traefik/traefik holding the tag: the module proxy's zip leaves
# out a nested module its go.mod replaces, so `go install pkg@version` cannot
# build it. Returns 1, building nothing, when the binary is missing and
# TRAEFIK_GIT is unset; exits when the build fails. Run from the repository's
# root, as the scripts do.
traefik_binary() {
	TRAEFIK_VERSION=${TRAEFIK_VERSION:-v3.7.9}
	traefik_bin=$PWD/.cache/bench/traefik-$TRAEFIK_VERSION/traefik
	[[ -x $traefik_bin ]] && return 0
	[[ -n ${TRAEFIK_GIT:-} ]] || return 1
	echo "[bench] building Traefik $TRAEFIK_VERSION (once, into .cache/bench)" >&2
	local src
	src=$(dirname "$traefik_bin")/src
	rm -rf "$src" && mkdir -p "$src"
	# Explicit exits: a caller testing the result (if traefik_binary) turns
	# errexit off in here.
	git --git-dir="$TRAEFIK_GIT" archive "$TRAEFIK_VERSION" | tar -x -C "$src" ||
		{ echo "bench: no tag $TRAEFIK_VERSION in TRAEFIK_GIT=$TRAEFIK_GIT" >&2; exit 1; }
	(cd "$src" && go build -o "$traefik_bin" ./cmd/traefik) ||
		{ echo "bench: building Traefik $TRAEFIK_VERSION failed" >&2; exit 1; }
}
