#!/usr/bin/env bash
# bench/ratio.sh: the ratio of bulwark to the tuned bare ReverseProxy, measured so
# that machine noise cancels out. bench/run.sh measures each target once, one after
# another; on a shared VM the figures drift by ±15% between minutes, which swamps
# the ratio. Here every target starts once and idles, pinned to the proxy core,
# and ROUNDS rounds each load every target for DURATION seconds, in an order that
# rotates each round. The report gives each target's median req/s and the median
# of its per-round ratio to bare-tuned (same round, so same machine weather).
#
# Per proxy core: each run also reads the proxy's own CPU time (user + system,
# from /proc, the process and its children, as nginx's workers) and divides the
# req/s by the share of a core it used. On two cores the client's core saturates
# before a fast proxy does, so raw req/s hides what a request costs the proxy;
# req/s per proxy core does not.
#
# Peers in the same rounds: nginx (Debian's, one worker, keep-alive to the
# upstream) and Traefik (TRAEFIK_VERSION from the git directory TRAEFIK_GIT,
# built into .cache/bench, never committed; file provider, defaults).
#
#   bash bench/ratio.sh                          # ROUNDS=7 DURATION=5 CONNS=64
#   ROUNDS=9 TARGETS="bare-tuned bulwark bulwark-gogc400 bulwark-nolog" bash bench/ratio.sh
#   TRAEFIK_GIT=/path/to/traefik.git TARGETS="bare-tuned nginx traefik bulwark" bash bench/ratio.sh
#   BASE_BIN=/tmp/bulwark-before TARGETS="bare-tuned bulwark bulwark-base" bash bench/ratio.sh
#       # bulwark-base: another build (an earlier commit) in the same rounds, for "within 5% of before"
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
TARGETS=${TARGETS:-bare-tuned bulwark bulwark-gogc400 bulwark-nolog}
readonly PROXY_CPU=0 LOAD_CPU=1
read -r -a targets <<<"$TARGETS"
[[ " $TARGETS " == *" bare-tuned "* ]] || { echo "ratio.sh: TARGETS must include bare-tuned, the baseline" >&2; exit 2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [[ " $TARGETS " == *" nginx "* ]] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
	apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null
	systemctl disable --now nginx >/dev/null 2>&1 || service nginx stop >/dev/null 2>&1 || true
fi
# shellcheck source=bench/lib.sh
source bench/lib.sh
if [[ " $TARGETS " == *" traefik "* ]] && ! traefik_binary; then
	echo "ratio.sh: the traefik target needs .cache/bench/traefik-$TRAEFIK_VERSION/traefik or TRAEFIK_GIT, a git directory of traefik/traefik with tag $TRAEFIK_VERSION to build it from" >&2
	exit 2
fi
bench_init ratio

# bulwark is the binary users run: scripts/build.sh's static, trimmed build (the
# Dockerfile's), not a development build with cgo, whose libc and loader
# mappings add ~1.4 MiB of RSS. The Go peers are built the same way.
CGO_ENABLED=0 go build -trimpath -o "$tmp/upstream" ./bench/cmd/upstream
CGO_ENABLED=0 go build -trimpath -o "$tmp/bareproxy" ./bench/cmd/bareproxy
CGO_ENABLED=0 go build -trimpath -o "$tmp/proxyfloor" ./bench/cmd/proxyfloor
CGO_ENABLED=0 go build -trimpath -o "$tmp/serverfloor" ./bench/cmd/serverfloor
bash scripts/build.sh "$tmp/bulwark" >/dev/null

free_port
up=127.0.0.1:$port
taskset -c "$LOAD_CPU" "$tmp/upstream" -addr "$up" >/dev/null 2>&1 &
pids+=($!)

declare -A url pid
for t in "${targets[@]}"; do
	free_port
	p=$port
	case $t in
	bare-tuned) taskset -c "$PROXY_CPU" "$tmp/bareproxy" -addr "127.0.0.1:$p" -upstream "http://$up" -tuned >/dev/null 2>&1 & ;;
	# The floors under any Go proxy (bench/cmd/proxyfloor): net/http's server
	# with bulwark's client and nothing between, and a loop that only moves bytes.
	# floor-server: no proxy at all, net/http's server answering 1 KiB
	# (bench/cmd/serverfloor): the most a cache hit on net/http can reach.
	floor-server) taskset -c "$PROXY_CPU" "$tmp/serverfloor" -mode nethttp -addr "127.0.0.1:$p" >/dev/null 2>&1 & ;;
	floor-nethttp | floor-readrequest | floor-raw) taskset -c "$PROXY_CPU" "$tmp/proxyfloor" -mode "${t#floor-}" -addr "127.0.0.1:$p" -upstream "$up" >/dev/null 2>&1 & ;;
	nginx)
		mkdir -p "$tmp/nginx"
		cat >"$tmp/nginx.conf" <<-NGINX
			worker_processes 1;
			daemon off;
			pid $tmp/nginx/nginx.pid;
			error_log $tmp/nginx/error.log warn;
			events { worker_connections 4096; }
			http {
			  access_log off;
			  client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx;
			  fastcgi_temp_path $tmp/nginx; uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
			  upstream bench { server $up; keepalive 64; }
			  server {
			    listen 127.0.0.1:$p;
			    location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
			  }
			}
		NGINX
		taskset -c "$PROXY_CPU" /usr/sbin/nginx -c "$tmp/nginx.conf" -e "$tmp/nginx/error.log" >/dev/null 2>&1 &
		;;
	traefik)
		cat >"$tmp/traefik-dynamic.yaml" <<-YAML
			http:
			  routers: {bench: {rule: "PathPrefix(\`/\`)", service: bench, entryPoints: [web]}}
			  services: {bench: {loadBalancer: {servers: [{url: "http://$up"}]}}}
		YAML
		taskset -c "$PROXY_CPU" "$traefik_bin" --entrypoints.web.address="127.0.0.1:$p" \
			--providers.file.filename="$tmp/traefik-dynamic.yaml" --log.level=ERROR \
			--global.checkNewVersion=false --global.sendAnonymousUsage=false >/dev/null 2>&1 &
		;;
	bulwark | bulwark-base | bulwark-gogc400 | bulwark-nolog | bulwark-noresilience | bulwark-cached)
		free_port
		log=true
		[[ $t == bulwark-nolog ]] && log=false
		# bulwark-noresilience: breaker, bulkhead, retries and outlier ejection
		# off, to measure what the resilience layer costs.
		resilience=""
		[[ $t == bulwark-noresilience ]] &&
			resilience="defaults: {breaker: {failures: 0}, bulkhead: {max_concurrent: 0}, retries: {attempts: 1}, outlier: {consecutive_failures: 0}}"
		# bulwark-cached: the same route with the HTTP cache on; the bench
		# upstream sends no freshness, so default_ttl gives its answer one and
		# every request after the first is a hit.
		[[ $t == bulwark-cached ]] &&
			resilience="defaults: {cache: {enabled: true, default_ttl: 1h}}"
		cat >"$tmp/$t.yaml" <<-YAML
			listen: {http: "127.0.0.1:$p"}
			admin: {listen: "127.0.0.1:$port", token: ratio}
			log: {level: warn, access_log: $log}
			discovery:
			  static: [{service: bench, instances: ["$up"]}]
			routes: [{path: /, service: bench}]
			$resilience
		YAML
		gogc=()
		[[ $t == bulwark-gogc400 ]] && gogc=(env GOGC=400)
		bin=$tmp/bulwark
		if [[ $t == bulwark-base ]]; then
			bin=${BASE_BIN:?ratio.sh: bulwark-base needs BASE_BIN, the binary to compare with}
		fi
		taskset -c "$PROXY_CPU" "${gogc[@]}" "$bin" serve -c "$tmp/$t.yaml" >/dev/null 2>&1 &
		;;
	*) echo "ratio.sh: unknown target $t (bare-tuned, floor-server, floor-nethttp, floor-readrequest, floor-raw, nginx, traefik, bulwark, bulwark-base, bulwark-gogc400, bulwark-nolog, bulwark-noresilience, bulwark-cached)" >&2; exit 2 ;;
	esac
	pids+=($!)
	pid[$t]=$!
	url[$t]="http://127.0.0.1:$p/"
done

for t in "${targets[@]}"; do
	for _ in $(seq 100); do curl -sf -o /dev/null "${url[$t]}" && break; sleep 0.1; done
	curl -sf -o /dev/null "${url[$t]}" || { echo "ratio.sh: $t did not start" >&2; exit 1; }
	timeout 20 taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d2s "${url[$t]}" >/dev/null # warm-up
done

declare -A rps cpu core
n=${#targets[@]}
for ((r = 0; r < ROUNDS; r++)); do
	for ((i = 0; i < n; i++)); do
		t=${targets[$(((i + r) % n))]}
		before=$(cpu_ticks "${pid[$t]}")
		start=$(date +%s.%N)
		v=$(timeout $((DURATION + 20)) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" "${url[$t]}" |
			awk '$1 == "Requests/sec:" { print $2 }')
		share=$(awk -v a="$before" -v b="$(cpu_ticks "${pid[$t]}")" -v hz="$hz" -v s="$start" -v e="$(date +%s.%N)" \
			'BEGIN { printf "%.4f", (b - a) / hz / (e - s) }')
		rps[$t,$r]=$v
		cpu[$t,$r]=$share
		core[$t,$r]=$(awk -v v="$v" -v c="$share" 'BEGIN { printf "%.0f", (c > 0 ? v / c : 0) }')
		echo "[ratio] round $((r + 1))/$ROUNDS $t $v req/s, proxy CPU $share, ${core[$t,$r]} req/s per proxy core" >&2
	done
done

# Added latency at one connection: wrk -c1 against each target and, just
# before it, straight against the upstream; the difference of the p50s, the
# median over LAT_ROUNDS rounds.
LAT_ROUNDS=${LAT_ROUNDS:-3}
p50_us() {
	timeout 20 taskset -c "$LOAD_CPU" wrk -t1 -c1 -d2s --latency "$1" |
		awk '$1 == "50%" { v = $2; u = 1; if (v ~ /us$/) u = 1; else if (v ~ /ms$/) u = 1000; else if (v ~ /s$/) u = 1000000; sub(/[a-z]+$/, "", v); printf "%.1f", v * u }'
}
declare -A added
for ((r = 0; r < LAT_ROUNDS; r++)); do
	for t in "${targets[@]}"; do
		direct=$(p50_us "http://$up/")
		through=$(p50_us "${url[$t]}")
		added[$t,$r]=$(awk -v a="$through" -v b="$direct" 'BEGIN { printf "%.1f", a - b }')
		echo "[ratio] latency round $((r + 1))/$LAT_ROUNDS $t p50 ${through}us, direct ${direct}us" >&2
	done
done

# peak_rss_mib PID: the peak resident set (VmHWM) of the process and its
# children, in MiB.
peak_rss_mib() {
	local total=0 p
	for p in "$1" $(pgrep -P "$1" || true); do
		total=$((total + $(awk '$1 == "VmHWM:" { print $2 }' "/proc/$p/status")))
	done
	awk -v k="$total" 'BEGIN { printf "%.1f", k / 1024 }'
}

has_traefik=false
[[ " $TARGETS " == *" traefik "* ]] && has_traefik=true
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?): ROUNDS=$ROUNDS DURATION=$DURATION CONNS=$CONNS LAT_ROUNDS=$LAT_ROUNDS, proxy on CPU $PROXY_CPU, wrk and upstream on CPU $LOAD_CPU"
echo
echo "| target | median req/s | min–max req/s | proxy CPU share | **req/s per proxy core** | per-core ratio to bare-tuned | per-core ratio to traefik | added p50 at 1 connection | peak RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for t in "${targets[@]}"; do
	vals=$(for ((r = 0; r < ROUNDS; r++)); do echo "${rps[$t,$r]}"; done)
	shares=$(for ((r = 0; r < ROUNDS; r++)); do echo "${cpu[$t,$r]}"; done)
	cores=$(for ((r = 0; r < ROUNDS; r++)); do echo "${core[$t,$r]}"; done)
	per_round() { for ((r = 0; r < ROUNDS; r++)); do awk -v a="${core[$t,$r]}" -v b="${core[$1,$r]}" 'BEGIN { printf "%.4f\n", a / b }'; done; }
	vs_traefik="–"
	$has_traefik && vs_traefik=$(printf "%.2fx" "$(per_round traefik | median)")
	lat=$(for ((r = 0; r < LAT_ROUNDS; r++)); do echo "${added[$t,$r]}"; done | median)
	printf "| %s | %.0f | %.0f–%.0f | %.2f | %.0f | %.2fx | %s | +%.0f µs | %s MiB |\n" "$t" "$(echo "$vals" | median)" \
		"$(echo "$vals" | sort -g | head -1)" "$(echo "$vals" | sort -g | tail -1)" \
		"$(echo "$shares" | median)" "$(echo "$cores" | median)" "$(per_round bare-tuned | median)" "$vs_traefik" \
		"$lat" "$(peak_rss_mib "${pid[$t]}")"
done
