#!/usr/bin/env bash
# bench/ratio.sh: the ratio of bulwark to the tuned bare ReverseProxy, measured so
# that machine noise cancels out. bench/run.sh measures each target once, one after
# another; on a shared VM the figures drift by ±15% between minutes, which swamps
# the ratio. Here every target starts once and idles, pinned to the proxy core,
# and ROUNDS rounds each load every target for DURATION seconds, in an order that
# rotates each round. The report gives each target's median req/s and the median
# of its per-round ratio to bare-tuned (same round, so same machine weather).
#
#   bash bench/ratio.sh                          # ROUNDS=7 DURATION=5 CONNS=64
#   ROUNDS=9 TARGETS="bare-tuned bulwark bulwark-gogc100 bulwark-nolog" bash bench/ratio.sh
#   BASE_BIN=/tmp/bulwark-before TARGETS="bare-tuned bulwark bulwark-base" bash bench/ratio.sh
#       # bulwark-base: another build (an earlier commit) in the same rounds, for "within 5% of before"
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
TARGETS=${TARGETS:-bare-tuned bulwark bulwark-gogc100 bulwark-nolog}
readonly PROXY_CPU=0 LOAD_CPU=1
read -r -a targets <<<"$TARGETS"
[[ " $TARGETS " == *" bare-tuned "* ]] || { echo "ratio.sh: TARGETS must include bare-tuned, the baseline" >&2; exit 2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init ratio

go build -o "$tmp/upstream" ./bench/cmd/upstream
go build -o "$tmp/bareproxy" ./bench/cmd/bareproxy
go build -o "$tmp/bulwark" ./cmd/bulwark

free_port
up=127.0.0.1:$port
taskset -c "$LOAD_CPU" "$tmp/upstream" -addr "$up" >/dev/null 2>&1 &
pids+=($!)

declare -A url
for t in "${targets[@]}"; do
	free_port
	p=$port
	case $t in
	bare-tuned) taskset -c "$PROXY_CPU" "$tmp/bareproxy" -addr "127.0.0.1:$p" -upstream "http://$up" -tuned >/dev/null 2>&1 & ;;
	bulwark | bulwark-base | bulwark-gogc100 | bulwark-nolog | bulwark-noresilience | bulwark-cached)
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
		[[ $t == bulwark-gogc100 ]] && gogc=(env GOGC=100)
		bin=$tmp/bulwark
		if [[ $t == bulwark-base ]]; then
			bin=${BASE_BIN:?ratio.sh: bulwark-base needs BASE_BIN, the binary to compare with}
		fi
		taskset -c "$PROXY_CPU" "${gogc[@]}" "$bin" serve -c "$tmp/$t.yaml" >/dev/null 2>&1 &
		;;
	*) echo "ratio.sh: unknown target $t (bare-tuned, bulwark, bulwark-base, bulwark-gogc100, bulwark-nolog, bulwark-noresilience, bulwark-cached)" >&2; exit 2 ;;
	esac
	pids+=($!)
	url[$t]="http://127.0.0.1:$p/"
done
for t in "${targets[@]}"; do
	for _ in $(seq 100); do curl -sf -o /dev/null "${url[$t]}" && break; sleep 0.1; done
	curl -sf -o /dev/null "${url[$t]}" || { echo "ratio.sh: $t did not start" >&2; exit 1; }
	timeout 20 taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d2s "${url[$t]}" >/dev/null # warm-up
done

declare -A rps
n=${#targets[@]}
for ((r = 0; r < ROUNDS; r++)); do
	for ((i = 0; i < n; i++)); do
		t=${targets[$(((i + r) % n))]}
		v=$(timeout $((DURATION + 20)) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" "${url[$t]}" |
			awk '$1 == "Requests/sec:" { print $2 }')
		rps[$t,$r]=$v
		echo "[ratio] round $((r + 1))/$ROUNDS $t $v req/s" >&2
	done
done

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?): ROUNDS=$ROUNDS DURATION=$DURATION CONNS=$CONNS, proxy on CPU $PROXY_CPU, wrk and upstream on CPU $LOAD_CPU"
echo
echo "| target | median req/s | min–max req/s | median ratio to bare-tuned (per round) |"
echo "|---|---:|---:|---:|"
for t in "${targets[@]}"; do
	vals=$(for ((r = 0; r < ROUNDS; r++)); do echo "${rps[$t,$r]}"; done)
	ratios=$(for ((r = 0; r < ROUNDS; r++)); do awk -v a="${rps[$t,$r]}" -v b="${rps[bare-tuned,$r]}" 'BEGIN { printf "%.4f\n", a / b }'; done)
	printf "| %s | %.0f | %.0f–%.0f | %.2fx |\n" "$t" "$(echo "$vals" | median)" \
		"$(echo "$vals" | sort -g | head -1)" "$(echo "$vals" | sort -g | tail -1)" "$(echo "$ratios" | median)"
done
