#!/usr/bin/env bash
# bench/tls.sh: what TLS termination costs, per proxy core. Three targets in
# front of the same upstream (bench/cmd/upstream, 1 KiB JSON), started once and
# loaded in turn for ROUNDS rotating rounds (as bench/ratio.sh does, so machine
# noise cancels out), each pinned to CPU 0 with wrk and the upstream on CPU 1:
#
#   bulwark-http    bulwark, plain HTTP
#   bulwark-https   bulwark, HTTPS (TLS 1.3, ECDSA P-256, HTTP/1.1 keep-alive)
#   nginx-https     Debian's nginx terminating TLS with the same certificate
#
# Two loads: keep-alive (req/s and p99 with CONNS connections), and one new
# connection per request (Connection: close), which measures handshakes/s.
#
#   ROUNDS=5 DURATION=5 bash bench/tls.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
readonly PROXY_CPU=0 LOAD_CPU=1
invocation="ROUNDS=$ROUNDS DURATION=$DURATION CONNS=$CONNS bash bench/tls.sh"

for tool in wrk nginx; do
	command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
		{ apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
export PATH=$PATH:/usr/sbin

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init tls

go build -o "$tmp/upstream" ./bench/cmd/upstream
go build -o "$tmp/bulwark" ./cmd/bulwark

free_port
up=127.0.0.1:$port
taskset -c "$LOAD_CPU" "$tmp/upstream" -addr "$up" >/dev/null 2>&1 &
pids+=($!)

free_port; http=127.0.0.1:$port
free_port; https=127.0.0.1:$port
free_port; admin=127.0.0.1:$port
cat >"$tmp/bulwark.yaml" <<-YAML
	listen: {http: "$http", https: "$https"}
	admin: {listen: "$admin", token: tls-bench}
	tls: {dev: true, data_dir: "$tmp/certs"}
	log: {level: warn, access_log: true}
	discovery:
	  static: [{service: bench, instances: ["$up"]}]
	routes: [{path: /, service: bench}]
YAML
taskset -c "$PROXY_CPU" "$tmp/bulwark" serve -c "$tmp/bulwark.yaml" >"$tmp/bulwark.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -f $tmp/certs/dev-key.pem ]] && break; sleep 0.1; done

free_port; ngx=127.0.0.1:$port
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/temp"
cat >"$tmp/nginx/nginx.conf" <<-EOF
	daemon off;
	worker_processes 1;
	pid $tmp/nginx/nginx.pid;
	error_log $tmp/nginx/logs/error.log warn;
	events { worker_connections 1024; }
	http {
	    access_log off;
	    keepalive_requests 100000000;
	    client_body_temp_path $tmp/nginx/temp/body;
	    proxy_temp_path $tmp/nginx/temp/proxy;
	    fastcgi_temp_path $tmp/nginx/temp/fastcgi;
	    uwsgi_temp_path $tmp/nginx/temp/uwsgi;
	    scgi_temp_path $tmp/nginx/temp/scgi;
	    upstream bench { server $up; keepalive 256; }
	    server {
	        listen $ngx ssl;
	        ssl_certificate $tmp/certs/dev.pem;
	        ssl_certificate_key $tmp/certs/dev-key.pem;
	        ssl_protocols TLSv1.2 TLSv1.3;
	        location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
	    }
	}
EOF
taskset -c "$PROXY_CPU" nginx -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf" >/dev/null 2>&1 &
pids+=($!)

declare -A url=([bulwark-http]="http://$http/" [bulwark-https]="https://$https/" [nginx-https]="https://$ngx/")
targets=(bulwark-http bulwark-https nginx-https)
for t in "${targets[@]}"; do
	for _ in $(seq 100); do curl -skf -o /dev/null "${url[$t]}" && break; sleep 0.1; done
	curl -skf -o /dev/null "${url[$t]}" || { echo "tls.sh: $t did not start" >&2; cat "$tmp/bulwark.log" >&2; exit 1; }
	timeout 20 taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d2s "${url[$t]}" >/dev/null
done

# load MODE TARGET: prints "req/s p99-ms"; MODE close sends Connection: close.
load() {
	local hdr=()
	[[ $1 == close ]] && hdr=(-H "Connection: close")
	timeout $((DURATION + 20)) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "${hdr[@]}" "${url[$2]}" |
		awk '$1 == "Requests/sec:" { r = $2 } $1 == "99%" { p = $2 } END { print r, p }'
}

declare -A rps p99
n=${#targets[@]}
for mode in keepalive close; do
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < n; i++)); do
			t=${targets[$(((i + r) % n))]}
			[[ $mode == close && $t == bulwark-http ]] && continue
			read -r v p <<<"$(load "$mode" "$t")"
			rps[$mode,$t,$r]=$v
			p99[$mode,$t,$r]=$p
			echo "[tls] $mode round $((r + 1))/$ROUNDS $t $v req/s p99 $p" >&2
		done
	done
done

echo
echo "\`$invocation\`: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?), proxy on CPU $PROXY_CPU, wrk and upstream on CPU $LOAD_CPU"
echo
echo "| target | keep-alive req/s | ratio to bulwark-http | p99 | new connections/s (Connection: close) |"
echo "|---|---:|---:|---:|---:|"
for t in "${targets[@]}"; do
	ka=$(for ((r = 0; r < ROUNDS; r++)); do echo "${rps[keepalive,$t,$r]}"; done | median)
	ratio=$(for ((r = 0; r < ROUNDS; r++)); do awk -v a="${rps[keepalive,$t,$r]}" -v b="${rps[keepalive,bulwark-http,$r]}" 'BEGIN { printf "%.4f\n", a / b }'; done | median)
	p=$(for ((r = 0; r < ROUNDS; r++)); do echo "${p99[keepalive,$t,$r]}"; done | sort -V | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	hs="–"
	[[ $t != bulwark-http ]] && hs=$(for ((r = 0; r < ROUNDS; r++)); do echo "${rps[close,$t,$r]}"; done | median)
	printf '| %s | %.0f | %.2fx | %s | %s |\n' "$t" "$ka" "$ratio" "$p" "$hs"
done
