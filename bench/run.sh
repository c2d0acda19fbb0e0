#!/usr/bin/env bash
# bench/run.sh: requests/s, latency and peak memory of bulwark next to a bare Go
# ReverseProxy, nginx and haproxy, all in front of the same upstream, in the same
# run, with the same load tool (wrk). See bench/README.md.
#
#   bash bench/run.sh
#   DURATION=10 CONNS=64 TARGETS="direct bare bare-tuned nginx haproxy bulwark" PROFILE=0 bash bench/run.sh
#
# The proxy under test runs alone on CPU 0; wrk and the upstream share CPU 1. The
# Markdown report goes to stdout and to bench/results/latest.md; progress goes to
# stderr.
set -euo pipefail

# The exact invocation, recorded before anything can change the environment.
invocation="DURATION=${DURATION:-10} CONNS=${CONNS:-64} TARGETS=\"${TARGETS:-direct bare bare-tuned nginx haproxy bulwark bulwark-gogc400}\" PROFILE=${PROFILE:-0}${BULWARK_BIN:+ BULWARK_BIN=$BULWARK_BIN} bash bench/run.sh${*:+ $*}"

DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
TARGETS=${TARGETS:-direct bare bare-tuned nginx haproxy bulwark bulwark-gogc400}
PROFILE=${PROFILE:-0}
# BULWARK_BIN: measure this prebuilt binary instead of building ./cmd/bulwark.

readonly WARMUP=2        # seconds of unmeasured load before each measured run
readonly ONECONN_SECS=5  # length of the one-connection latency run
readonly READY_SECS=10   # how long a proxy may take to answer 200
readonly PROXY_CPU=0     # the proxy under test, alone
readonly LOAD_CPU=1      # wrk and the upstream
readonly BODY_BYTES=1024 # what bench/cmd/upstream answers
readonly BENCH_TOKEN=bench

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$script_dir")
results_dir="$script_dir/results"

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
	printf '[bench] error: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------------------
# Arguments and environment
# ---------------------------------------------------------------------------
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a positive whole number of seconds, got '$DURATION'"
[[ $CONNS =~ ^[1-9][0-9]*$ ]] || die "CONNS must be a positive whole number, got '$CONNS'"
[[ $PROFILE == 0 || $PROFILE == 1 ]] || die "PROFILE must be 0 or 1, got '$PROFILE'"
read -r -a targets <<<"$TARGETS"
((${#targets[@]} > 0)) || die "TARGETS is empty"
for t in "${targets[@]}"; do
	case $t in
	direct | bare | bare-tuned | nginx | haproxy | bulwark | bulwark-gogc400) ;;
	*) die "unknown target '$t' (known: direct bare bare-tuned nginx haproxy bulwark bulwark-gogc400)" ;;
	esac
done
wants() {
	local t
	for t in "${targets[@]}"; do [[ $t == "$1" ]] && return 0; done
	return 1
}

ncpu=$(nproc)
((ncpu >= 2)) || die "need at least 2 CPUs (proxy on CPU $PROXY_CPU, load on CPU $LOAD_CPU); this machine has $ncpu"
command -v go >/dev/null || die "go is not on PATH"

# Install what is missing (Debian/Ubuntu). nginx and haproxy only when measured.
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v taskset >/dev/null || need_pkgs+=(util-linux)
command -v timeout >/dev/null || need_pkgs+=(coreutils)
if wants nginx && ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then need_pkgs+=(nginx); fi
if wants haproxy && ! command -v haproxy >/dev/null && [[ ! -x /usr/sbin/haproxy ]]; then need_pkgs+=(haproxy); fi
if ((${#need_pkgs[@]} > 0)); then
	((EUID == 0)) || die "missing ${need_pkgs[*]}; run as root or: sudo apt-get install -y ${need_pkgs[*]}"
	command -v apt-get >/dev/null || die "missing ${need_pkgs[*]} and no apt-get to install them"
	log "installing ${need_pkgs[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_pkgs[@]}" >&2; then
		apt-get update >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_pkgs[@]}" >&2
	fi
fi
PATH="$PATH:/usr/sbin:/sbin"

# ---------------------------------------------------------------------------
# Processes and cleanup
# ---------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-bench.XXXXXX")
pids=() # every background process this script started

alive() { # PID: running and not a zombie
	local state
	[[ -r /proc/$1/stat ]] || return 1
	state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z ]]
}

# stop_pid PID: SIGTERM, up to 5 s for it to exit, then SIGKILL; children too
# (nginx workers), found by parent id before the parent goes.
stop_pid() {
	local pid=$1 kids i k
	kids=$(pgrep -P "$pid" 2>/dev/null || true)
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	for k in $kids; do alive "$k" && kill -KILL "$k" 2>/dev/null; done
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$? i
	set +e
	trap - EXIT INT TERM
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start LOGFILE CMD...: runs CMD in the background; its PID in $started.
started=
start() {
	local logf=$1
	shift
	"$@" >"$logf" 2>&1 &
	started=$!
	pids+=("$started")
}

# A free loopback port below the ephemeral range (so outgoing connections never
# collide with it), never the same one twice in a run.
handed_out=" "
port=
free_port() {
	local p i
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + RANDOM % 12000))
		[[ $handed_out == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			handed_out+="$p "
			port=$p
			return 0
		fi
	done
	die "found no free loopback port"
}

# wait_ready URL PID: up to READY_SECS for URL to answer 200 with the upstream's
# 1 KiB body while PID stays alive. On failure the reason is in $why.
why=
wait_ready() {
	local url=$1 pid=$2 code size deadline out
	deadline=$((SECONDS + READY_SECS))
	code=000
	while ((SECONDS < deadline)); do
		if ! alive "$pid"; then
			why="exited before answering on $url"
			return 1
		fi
		out=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 1 "$url" 2>/dev/null) || out="000 0"
		read -r code size <<<"$out"
		if [[ $code == 200 && $size == "$BODY_BYTES" ]]; then return 0; fi
		sleep 0.1
	done
	if [[ $code == 200 ]]; then
		why="answered 200 on $url but with $size bytes instead of the upstream's $BODY_BYTES"
	else
		why="did not answer 200 on $url within ${READY_SECS}s (last status: $code)"
	fi
	return 1
}

# ---------------------------------------------------------------------------
# Parsing wrk and /proc
# ---------------------------------------------------------------------------
# wrk_pct FILE PCT: that latency percentile in microseconds ("99" -> the 99% line).
wrk_pct() {
	awk -v q="$2%" '
		$1 == q {
			v = $2; m = 0
			if (v ~ /us$/) { m = 1 } else if (v ~ /ms$/) { m = 1000 } else if (v ~ /s$/) { m = 1000000 }
			else if (v ~ /m$/) { m = 60000000 } else if (v ~ /h$/) { m = 3600000000 }
			gsub(/[a-z]+$/, "", v)
			if (m > 0 && v ~ /^[0-9.]+$/) printf "%.2f\n", v * m
			exit
		}' "$1"
}
wrk_rps() { awk '$1 == "Requests/sec:" && $2 ~ /^[0-9.]+$/ { print $2; exit }' "$1"; }
# wrk_errors FILE: "" when clean, otherwise a description of the errors.
wrk_errors() {
	awk '
		/Socket errors:/ { gsub(/,/, ""); s = $4 + $6 + $8 + $10
			if (s > 0) out = out sprintf("socket errors: connect %s read %s write %s timeout %s; ", $4, $6, $8, $10) }
		/Non-2xx or 3xx responses:/ { out = out sprintf("non-2xx/3xx responses: %s; ", $NF) }
		END { sub(/; $/, "", out); print out }' "$1"
}

# vmhwm_kib PID...: sum of VmHWM (peak resident set) in KiB.
vmhwm_kib() {
	local p sum=0 v
	for p in "$@"; do
		v=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		[[ $v =~ ^[0-9]+$ ]] && sum=$((sum + v))
	done
	echo "$sum"
}

# proc_ticks PID...: utime+stime of those processes, in clock ticks.
proc_ticks() {
	local p sum=0 v
	for p in "$@"; do
		v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || true)
		[[ $v =~ ^[0-9]+$ ]] && sum=$((sum + v))
	done
	echo "$sum"
}
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# cpu_ticks N: "busy total" jiffies of CPU N since boot.
cpu_ticks() {
	awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat
}
# busy_pct "BUSY0 TOTAL0" "BUSY1 TOTAL1"
busy_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
		dt = y[2] - x[2]; if (dt <= 0) { print "?"; exit } printf "%.0f\n", 100 * (y[1] - x[1]) / dt }'
}

# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
cd "$repo_root"
mkdir -p "$results_dir"
# A profile left by an earlier run must not pass for this run's.
if [[ $PROFILE == 1 ]]; then rm -f "$results_dir/bulwark.cpu.pprof"; fi
declare -A RPS=() P50=() P99=() P50_1=() RSS=() NOTE=() SKIP=() CPU_P=() CPU_L=() CPU_OWN=()
skipped_lines=()
skip() { # TARGET REASON
	SKIP[$1]=$2
	skipped_lines+=("SKIPPED $1: $2")
	log "SKIPPED $1: $2"
}

log "building bench/cmd/upstream and bench/cmd/bareproxy"
go build -o "$tmp/upstream" ./bench/cmd/upstream
if wants bare || wants bare-tuned; then go build -o "$tmp/bareproxy" ./bench/cmd/bareproxy; fi
bulwark_ok=0
if (wants bulwark || wants bulwark-gogc400) && [[ -n ${BULWARK_BIN:-} ]]; then
	if [[ -x $BULWARK_BIN ]]; then
		cp "$BULWARK_BIN" "$tmp/bulwark"
		bulwark_ok=1
	else
		skip bulwark "BULWARK_BIN=$BULWARK_BIN is not an executable file"
	fi
elif wants bulwark || wants bulwark-gogc400; then
	log "building ./cmd/bulwark"
	if go build -o "$tmp/bulwark" ./cmd/bulwark >"$tmp/bulwark.build.log" 2>&1; then
		bulwark_ok=1
	else
		skip bulwark "go build ./cmd/bulwark failed: $(grep -v '^#' "$tmp/bulwark.build.log" | head -n 3 | tr '\n' ' ' | sed 's/ *$//')"
	fi
fi

# ---------------------------------------------------------------------------
# Upstream
# ---------------------------------------------------------------------------
free_port
up_port=$port
up_url="http://127.0.0.1:$up_port/"
start "$tmp/upstream.log" taskset -c "$LOAD_CPU" "$tmp/upstream" -addr "127.0.0.1:$up_port"
up_pid=$started
wait_ready "$up_url" "$up_pid" || die "upstream: $why; log: $(tail -n 5 "$tmp/upstream.log")"
log "upstream on 127.0.0.1:$up_port (CPU $LOAD_CPU)"

# How busy the machine is with nothing loaded: anything else running skews every
# figure, and the report says so.
bg_before="$(cpu_ticks "$PROXY_CPU") $(cpu_ticks "$LOAD_CPU")"
sleep 1
bg_after="$(cpu_ticks "$PROXY_CPU") $(cpu_ticks "$LOAD_CPU")"
read -r -a bgb <<<"$bg_before"
read -r -a bga <<<"$bg_after"
bg_p=$(busy_pct "${bgb[0]} ${bgb[1]}" "${bga[0]} ${bga[1]}")
bg_l=$(busy_pct "${bgb[2]} ${bgb[3]}" "${bga[2]} ${bga[3]}")
log "idle machine check: CPU $PROXY_CPU ${bg_p}% busy, CPU $LOAD_CPU ${bg_l}% busy"

# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------
# Set by start_target: where to send load, which processes to stop afterwards, and
# whose VmHWM is the proxy's memory.
t_url=
t_main=
t_rss_pids=()
t_log=
admin_port=

start_target() {
	local t=$1 p
	t_url=
	t_main=
	t_rss_pids=()
	t_log="$tmp/$t.log"
	: >"$t_log"
	case $t in
	direct)
		t_url=$up_url
		return 0
		;;
	bare | bare-tuned)
		free_port
		p=$port
		local extra=()
		[[ $t == bare-tuned ]] && extra=(-tuned)
		start "$t_log" taskset -c "$PROXY_CPU" "$tmp/bareproxy" -addr "127.0.0.1:$p" -upstream "http://127.0.0.1:$up_port" "${extra[@]}"
		;;
	nginx)
		free_port
		p=$port
		mkdir -p "$tmp/nginx/logs" "$tmp/nginx/temp"
		cat >"$tmp/nginx/nginx.conf" <<-EOF
			# generated by bench/run.sh
			daemon off;
			master_process on;
			user root;
			worker_processes 1;
			pid $tmp/nginx/nginx.pid;
			error_log $tmp/nginx/logs/error.log warn;
			events {
			    worker_connections 1024;
			}
			http {
			    access_log off;
			    keepalive_timeout 120s;
			    keepalive_requests 100000000;
			    client_body_temp_path $tmp/nginx/temp/body;
			    proxy_temp_path $tmp/nginx/temp/proxy;
			    fastcgi_temp_path $tmp/nginx/temp/fastcgi;
			    uwsgi_temp_path $tmp/nginx/temp/uwsgi;
			    scgi_temp_path $tmp/nginx/temp/scgi;
			    upstream bench {
			        server 127.0.0.1:$up_port;
			        keepalive 256;
			        keepalive_requests 100000000;
			        keepalive_timeout 120s;
			    }
			    server {
			        listen 127.0.0.1:$p;
			        location / {
			            proxy_pass http://bench;
			            proxy_http_version 1.1;
			            proxy_set_header Connection "";
			        }
			    }
			}
		EOF
		start "$t_log" taskset -c "$PROXY_CPU" nginx -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf"
		;;
	haproxy)
		free_port
		p=$port
		cat >"$tmp/haproxy.cfg" <<-EOF
			# generated by bench/run.sh
			global
			    nbthread 1
			    maxconn 1024
			defaults
			    mode http
			    option http-keep-alive
			    http-reuse always
			    timeout connect 5s
			    timeout client 120s
			    timeout server 120s
			    timeout http-keep-alive 120s
			frontend bench
			    bind 127.0.0.1:$p
			    default_backend bench
			backend bench
			    server upstream 127.0.0.1:$up_port
		EOF
		start "$t_log" taskset -c "$PROXY_CPU" haproxy -db -f "$tmp/haproxy.cfg"
		;;
	bulwark | bulwark-gogc400)
		# bulwark-gogc400 runs the same binary at GOGC=400, the throughput pacing
		# bulwark used by default before issue 19 chose memory (docs/operations.md).
		if ((bulwark_ok == 0)); then return 1; fi
		free_port
		p=$port
		free_port
		admin_port=$port
		cat >"$tmp/bulwark.yaml" <<-EOF
			# generated by bench/run.sh
			listen:
			  http: 127.0.0.1:$p
			admin:
			  listen: 127.0.0.1:$admin_port
			  token: $BENCH_TOKEN
			log:
			  level: warn
			  access_log: true
			discovery:
			  static:
			    - service: bench
			      instances: ["127.0.0.1:$up_port"]
			routes:
			  - path: /
			    service: bench
		EOF
		gogc=()
		[[ $t == bulwark-gogc400 ]] && gogc=(env GOGC=400)
		start "$t_log" taskset -c "$PROXY_CPU" "${gogc[@]}" "$tmp/bulwark" serve -c "$tmp/bulwark.yaml"
		;;
	esac
	t_main=$started
	t_url="http://127.0.0.1:$p/"
	if ! wait_ready "$t_url" "$t_main"; then
		local reason=$why tail_log
		tail_log=$(tail -n 3 "$t_log" | tr '\n' ' ' | sed 's/ *$//')
		[[ -n $tail_log ]] && reason+="; log: $tail_log"
		stop_pid "$t_main"
		skip "$t" "$reason"
		return 1
	fi
	case $t in
	nginx) mapfile -t t_rss_pids < <(pgrep -P "$t_main") ;; # the worker(s)
	*) t_rss_pids=("$t_main") ;;
	esac
	return 0
}

# wrk_run OUT CONNS SECS [--latency]: wrk pinned to the load CPU, bounded in time.
wrk_run() {
	local out=$1 c=$2 secs=$3
	shift 3
	timeout --kill-after=5 $((secs + 20)) taskset -c "$LOAD_CPU" wrk -t1 -c"$c" -d"${secs}s" "$@" "$t_url" >"$out" 2>&1
}

profile_code=
profile_secs=0
pprof_top=

measure() {
	local t=$1 out64="$tmp/$1.c$CONNS.txt" out1="$tmp/$1.c1.txt" before after prof_pid='' errs a b
	local own_pids=() own0 own1 ns0 ns1 p
	if [[ -n $t_main ]]; then
		own_pids=("$t_main")
		for p in "${t_rss_pids[@]}"; do [[ $p != "$t_main" ]] && own_pids+=("$p"); done
	fi
	log "$t: warm-up ${WARMUP}s"
	wrk_run "$tmp/$t.warmup.txt" "$CONNS" "$WARMUP" || true

	if [[ $t == bulwark && $PROFILE == 1 ]]; then
		profile_secs=$((DURATION < 5 ? DURATION : 5))
		log "$t: CPU profile for ${profile_secs}s from the admin listener"
		taskset -c "$LOAD_CPU" curl -s --max-time $((profile_secs + 20)) \
			-H "Authorization: Bearer $BENCH_TOKEN" -o "$tmp/bulwark.cpu.pprof" -w '%{http_code}' \
			"http://127.0.0.1:$admin_port/debug/pprof/profile?seconds=$profile_secs" >"$tmp/profile.code" 2>/dev/null &
		prof_pid=$!
		pids+=("$prof_pid")
	fi

	log "$t: ${CONNS} connections, ${DURATION}s"
	before=$(cpu_ticks "$PROXY_CPU") && before+=" $(cpu_ticks "$LOAD_CPU")"
	own0=$(proc_ticks "${own_pids[@]}")
	ns0=$(date +%s%N)
	if ! wrk_run "$out64" "$CONNS" "$DURATION" --latency; then
		NOTE[$t]+="wrk (${CONNS} conns) failed: $(tail -n 2 "$out64" | tr '\n' ' '). "
	fi
	ns1=$(date +%s%N)
	own1=$(proc_ticks "${own_pids[@]}")
	after=$(cpu_ticks "$PROXY_CPU") && after+=" $(cpu_ticks "$LOAD_CPU")"
	if ((${#own_pids[@]} > 0)); then
		CPU_OWN[$t]=$(awk -v d=$((own1 - own0)) -v hz="$clk_tck" -v ns=$((ns1 - ns0)) 'BEGIN { printf "%.0f\n", 100 * (d / hz) / (ns / 1e9) }')
	fi
	read -r -a b <<<"$before"
	read -r -a a <<<"$after"
	CPU_P[$t]=$(busy_pct "${b[0]} ${b[1]}" "${a[0]} ${a[1]}")
	CPU_L[$t]=$(busy_pct "${b[2]} ${b[3]}" "${a[2]} ${a[3]}")

	if [[ -n $prof_pid ]]; then
		wait "$prof_pid" 2>/dev/null || true
		profile_code=$(cat "$tmp/profile.code" 2>/dev/null || true)
		[[ -n $profile_code ]] || profile_code=000
		if [[ $profile_code == 200 && -s $tmp/bulwark.cpu.pprof ]]; then
			cp "$tmp/bulwark.cpu.pprof" "$results_dir/bulwark.cpu.pprof"
			pprof_top=$(go tool pprof -top -nodecount=25 "$tmp/bulwark" "$results_dir/bulwark.cpu.pprof" 2>&1 || true)
		fi
	fi

	log "$t: 1 connection, ${ONECONN_SECS}s"
	if ! wrk_run "$out1" 1 "$ONECONN_SECS" --latency; then
		NOTE[$t]+="wrk (1 conn) failed: $(tail -n 2 "$out1" | tr '\n' ' '). "
	fi

	RPS[$t]=$(wrk_rps "$out64")
	P50[$t]=$(wrk_pct "$out64" 50)
	P99[$t]=$(wrk_pct "$out64" 99)
	P50_1[$t]=$(wrk_pct "$out1" 50)
	if [[ -z ${RPS[$t]} || -z ${P50[$t]} || -z ${P99[$t]} || -z ${P50_1[$t]} ]]; then
		NOTE[$t]+="could not parse wrk's output. "
		log "$t: unparsable wrk output:"
		cat "$out64" "$out1" >&2
	fi
	errs=$(wrk_errors "$out64")
	[[ -n $errs ]] && NOTE[$t]+="${CONNS}-conn run: $errs. "
	errs=$(wrk_errors "$out1")
	[[ -n $errs ]] && NOTE[$t]+="1-conn run: $errs. "

	if ((${#t_rss_pids[@]} > 0)); then
		RSS[$t]=$(vmhwm_kib "${t_rss_pids[@]}")
	fi
	log "$t: ${RPS[$t]:-?} req/s, p50 ${P50[$t]:-?}us, p99 ${P99[$t]:-?}us, p50@1conn ${P50_1[$t]:-?}us, CPU$PROXY_CPU ${CPU_P[$t]}% CPU$LOAD_CPU ${CPU_L[$t]}%"
}

bulwark_log_lines=
for t in "${targets[@]}"; do
	[[ -n ${SKIP[$t]:-} ]] && continue
	log "$t: starting"
	if ! start_target "$t"; then
		[[ -n ${SKIP[$t]:-} ]] || skip "$t" "did not start"
		continue
	fi
	measure "$t"
	if [[ -n $t_main ]]; then
		stop_pid "$t_main"
		[[ $t == bulwark ]] && bulwark_log_lines=$(wc -l <"$t_log")
	fi
	sleep 1
done

# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
fmt_lat() { # microseconds -> "412 µs" or "1.23 ms"
	[[ -n ${1:-} ]] || {
		echo "?"
		return
	}
	awk -v u="$1" 'BEGIN { if (u < 1000) printf "%.0f µs\n", u; else printf "%.2f ms\n", u / 1000 }'
}
ratio() { # A B -> "0.87x"
	if [[ -n ${1:-} && -n ${2:-} ]]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx\n", a / b; else print "–" }'; else echo "–"; fi
}

report="$tmp/report.md"
{
	echo "# bulwark benchmark"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Every target proxies the same upstream (1 KiB JSON, keep-alive); proxy pinned to CPU $PROXY_CPU, wrk and upstream to CPU $LOAD_CPU, so req/s is per proxy core."
	echo
	echo "| target | req/s ($CONNS conns) | ratio vs bare-tuned | ratio vs direct | p50 ($CONNS conns) | p99 ($CONNS conns) | p50 at 1 conn | added p50 vs direct at 1 conn | peak RSS MiB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for t in "${targets[@]}"; do
		if [[ -n ${SKIP[$t]:-} ]]; then
			echo "| $t | skipped | – | – | – | – | – | – | – |"
			continue
		fi
		rps=${RPS[$t]:-}
		rps_s="?"
		[[ -n $rps ]] && rps_s=$(printf '%.0f' "$rps")
		vs_tuned="–"
		vs_direct="–"
		[[ -z ${SKIP[bare-tuned]:-} ]] && vs_tuned=$(ratio "$rps" "${RPS[bare-tuned]:-}")
		[[ -z ${SKIP[direct]:-} ]] && vs_direct=$(ratio "$rps" "${RPS[direct]:-}")
		added="–"
		if [[ $t == direct ]]; then
			added="baseline"
		elif [[ -n ${P50_1[$t]:-} && -n ${P50_1[direct]:-} ]]; then
			added=$(awk -v a="${P50_1[$t]}" -v b="${P50_1[direct]}" 'BEGIN { printf "%+.0f µs\n", a - b }')
		fi
		rss="–"
		[[ -n ${RSS[$t]:-} ]] && rss=$(awk -v k="${RSS[$t]}" 'BEGIN { printf "%.1f\n", k / 1024 }')
		echo "| $t | $rps_s | $vs_tuned | $vs_direct | $(fmt_lat "${P50[$t]:-}") | $(fmt_lat "${P99[$t]:-}") | $(fmt_lat "${P50_1[$t]:-}") | $added | $rss |"
	done
	echo
	echo "CPU during the ${CONNS}-connection run (CPU $PROXY_CPU = proxy alone, CPU $LOAD_CPU = wrk + upstream; before any load: CPU $PROXY_CPU ${bg_p}% busy, CPU $LOAD_CPU ${bg_l}% busy):"
	echo
	for t in "${targets[@]}"; do
		[[ -n ${SKIP[$t]:-} || -z ${CPU_P[$t]:-} ]] && continue
		cp_=${CPU_P[$t]}
		cl_=${CPU_L[$t]}
		own_=${CPU_OWN[$t]:-}
		line="- $t:"
		[[ -n $own_ ]] && line+=" proxy processes ${own_}% of a core,"
		line+=" CPU $PROXY_CPU ${cp_}% busy, CPU $LOAD_CPU ${cl_}% busy"
		if [[ $own_ =~ ^[0-9]+$ && -n ${RPS[$t]:-} ]] && ((own_ > 0)); then
			line+="; $(awk -v r="${RPS[$t]}" -v o="$own_" 'BEGIN { printf "%.0f", r * 100 / o }') req/s per fully busy proxy core (extrapolated)"
		fi
		if [[ $t == direct ]]; then
			if [[ $cp_ =~ ^[0-9]+$ ]] && ((cp_ > 10)); then
				line+=" (other processes were using CPU $PROXY_CPU: figures disturbed)"
			fi
		elif [[ $cp_ =~ ^[0-9]+$ ]]; then
			if [[ -z $own_ ]] && ((cp_ > 10)); then
				line+=" (other processes were using CPU $PROXY_CPU: figures disturbed)"
			elif [[ $own_ =~ ^[0-9]+$ ]] && ((cp_ - own_ > 15)); then
				line+=" (other processes took $((cp_ - own_))% of CPU $PROXY_CPU from the proxy: figures disturbed)"
			elif [[ $cl_ =~ ^[0-9]+$ ]] && ((cl_ >= 95 && cp_ < 90)); then
				line+=" (load side saturated before the proxy: its req/s is a lower bound)"
			fi
		fi
		echo "$line"
	done
	notes=()
	if [[ $bg_p =~ ^[0-9]+$ && $bg_l =~ ^[0-9]+$ ]] && ((bg_p > 10 || bg_l > 10)); then
		notes+=("The machine was not idle before the run (CPU $PROXY_CPU ${bg_p}%, CPU $LOAD_CPU ${bg_l}% busy with no load): other processes compete with the pinned ones, so treat every figure as noisy.")
	fi
	for s in "${skipped_lines[@]}"; do notes+=("$s"); done
	for t in "${targets[@]}"; do
		[[ -n ${NOTE[$t]:-} ]] && notes+=("$t: ${NOTE[$t]% }")
	done
	[[ -n $bulwark_log_lines ]] && notes+=("bulwark wrote $bulwark_log_lines log lines during the run (access_log: true, log level warn).")
	wants nginx && [[ -z ${SKIP[nginx]:-} ]] && notes+=("nginx peak RSS is its worker process(es); the master is not counted.")
	if [[ $PROFILE == 1 ]]; then
		if ! wants bulwark || [[ -n ${SKIP[bulwark]:-} ]]; then
			notes+=("PROFILE=1: no profile, bulwark was not measured.")
		elif [[ $profile_code == 200 && -n $pprof_top ]]; then
			notes+=("PROFILE=1: ${profile_secs}s CPU profile of bulwark taken during the ${CONNS}-conn run (profiling costs it a little req/s), saved to bench/results/bulwark.cpu.pprof.")
		elif [[ $profile_code == 404 ]]; then
			notes+=("PROFILE=1: the admin listener answered 404 for /debug/pprof/profile; this build has no profiling endpoint.")
		else
			notes+=("PROFILE=1: fetching /debug/pprof/profile from the admin listener failed (HTTP $profile_code).")
		fi
	fi
	if ((${#notes[@]} > 0)); then
		echo
		echo "Notes:"
		echo
		for n in "${notes[@]}"; do echo "- $n"; done
	fi
	echo
	echo "## Machine"
	echo
	echo "- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) (nproc $ncpu)"
	echo "- kernel: $(uname -sr)"
	echo "- $(go version)"
	echo "- wrk: $(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }')"
	if wants nginx; then echo "- nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //')"; fi
	if wants haproxy; then echo "- haproxy: $(haproxy -v 2>&1 | awk 'NR == 1 { print $3 }')"; fi
	if git -C "$repo_root" rev-parse --short HEAD >/dev/null 2>&1; then
		rev=$(git -C "$repo_root" rev-parse --short HEAD)
		[[ -n $(git -C "$repo_root" status --porcelain 2>/dev/null | head -n 1) ]] && rev+=" (uncommitted changes)"
		echo "- bulwark commit: $rev"
	fi
	echo
	echo "## Command"
	echo
	echo '```'
	echo "$invocation"
	echo '```'
	echo
	echo "Per target: \`taskset -c $LOAD_CPU wrk -t1 -c$CONNS -d${WARMUP}s URL\` (warm-up, discarded), then \`taskset -c $LOAD_CPU wrk -t1 -c$CONNS -d${DURATION}s --latency URL\` and \`taskset -c $LOAD_CPU wrk -t1 -c1 -d${ONECONN_SECS}s --latency URL\`; the proxy runs under \`taskset -c $PROXY_CPU\`, the upstream (bench/cmd/upstream) under \`taskset -c $LOAD_CPU\`. Peak RSS is VmHWM from /proc/PID/status after both runs."
	if [[ -n $pprof_top ]]; then
		echo
		echo "## bulwark CPU profile (go tool pprof -top -nodecount=25)"
		echo
		echo '```'
		echo "$pprof_top"
		echo '```'
	fi
} >"$report"

cp "$report" "$results_dir/latest.md"
cat "$report"
log "report written to bench/results/latest.md"
