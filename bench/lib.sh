# shellcheck shell=bash
# bench/lib.sh: what the interleaved benchmarks (ratio.sh, tls.sh) share.
# Sourced, not run. After it: $tmp is a fresh temporary folder, every pid
# added to pids is killed on exit (normal, error or Ctrl-C) and $tmp removed;
# free_port sets $port to a loopback port nobody listens on; median reads
# numbers on stdin and prints their median.

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
