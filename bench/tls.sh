#!/usr/bin/env bash
# bench/tls.sh: what TLS termination and HTTP/2 cost, per proxy core. The
# targets stand in front of the same upstream (bench/cmd/upstream, 1 KiB JSON),
# start once and are loaded in turn for ROUNDS rotating rounds (as
# bench/ratio.sh does, so machine noise cancels out), each pinned to CPU 0 with
# the load tool and the upstream on CPU 1:
#
#   bulwark-http    bulwark, plain HTTP
#   bulwark-https   bulwark, HTTPS (ECDSA P-256 development certificate)
#   traefik-https   Traefik (TRAEFIK_VERSION, v3.7.9) terminating TLS with the
#                   same certificate: file provider, a websecure entrypoint, a
#                   router with tls: {}; skipped when its binary is not in
#                   .cache/bench and TRAEFIK_GIT is unset (see bench/lib.sh)
#   nginx-https     Debian's nginx terminating TLS with the same certificate,
#                   HTTP/2 on (listen ... ssl http2, nginx 1.22's syntax)
#
# The loads, in every round, each for DURATION seconds:
#
#   keepalive   wrk, CONNS keep-alive HTTP/1.1 connections: req/s and p99
#   close       wrk with Connection: close, one TLS handshake per request (HTTPS only)
#   h2-mN       h2load -c CONNS -m N -t 1 -D DURATION over TLS, HTTP/2 by ALPN
#               (HTTPS only), for each N in H2_STREAMS: N streams in flight
#               on each connection
#
# Every load reads the proxy's CPU time (its process and children, from /proc)
# before and after, and reports req/s per proxy core: req/s divided by the
# share of a core the proxy used. On two cores the load core saturates before
# a fast proxy does, so raw req/s hides what a request costs the proxy. It
# also reads CPU 0's busy time: a load during which other processes took more
# than a tenth of the proxy's core is measured again after 5 s, up to RETRIES
# (2) times, and the report counts those still disturbed.
#
#   ROUNDS=5 DURATION=5 bash bench/tls.sh
#   H2_STREAMS=1 TRAEFIK_GIT=/path/to/traefik.git bash bench/tls.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
H2_STREAMS=${H2_STREAMS:-1 10}
RETRIES=${RETRIES:-2}
readonly PROXY_CPU=0 LOAD_CPU=1
invocation="ROUNDS=$ROUNDS DURATION=$DURATION CONNS=$CONNS H2_STREAMS=\"$H2_STREAMS\" RETRIES=$RETRIES bash bench/tls.sh"

export PATH=$PATH:/usr/sbin
# need TOOL PACKAGE: installs Debian's PACKAGE when TOOL is missing.
need() {
	command -v "$1" >/dev/null && return
	apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
	if [[ $1 == nginx ]]; then
		systemctl disable --now nginx >/dev/null 2>&1 || service nginx stop >/dev/null 2>&1 || true
	fi
}
need wrk wrk
need nginx nginx
need h2load nghttp2-client
need curl curl

# shellcheck source=bench/lib.sh
source bench/lib.sh
has_traefik=true
if ! traefik_binary; then
	has_traefik=false
	echo "[tls] SKIPPED traefik-https: no .cache/bench/traefik-$TRAEFIK_VERSION/traefik and TRAEFIK_GIT is unset (a git directory of traefik/traefik with tag $TRAEFIK_VERSION builds it)" >&2
fi
bench_init tls

go build -o "$tmp/upstream" ./bench/cmd/upstream
go build -o "$tmp/bulwark" ./cmd/bulwark

free_port
up=127.0.0.1:$port
taskset -c "$LOAD_CPU" "$tmp/upstream" -addr "$up" >"$tmp/upstream.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "http://$up/" && break; sleep 0.1; done
curl -sf -o /dev/null "http://$up/" || { echo "tls.sh: the upstream did not start:" >&2; cat "$tmp/upstream.log" >&2; exit 1; }

declare -A url pid

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
pid[bulwark-http]=$!
pid[bulwark-https]=$!
url[bulwark-http]="http://$http/"
url[bulwark-https]="https://$https/"
for _ in $(seq 100); do [[ -f $tmp/certs/dev-key.pem ]] && break; sleep 0.1; done
[[ -f $tmp/certs/dev-key.pem ]] || { echo "tls.sh: bulwark wrote no development certificate" >&2; cat "$tmp/bulwark.log" >&2; exit 1; }
cert=$tmp/certs/dev.pem key=$tmp/certs/dev-key.pem

if $has_traefik; then
	free_port
	# The certificate is also the default one: a client that sends no SNI (an
	# IP address) would otherwise get Traefik's self-generated RSA certificate.
	cat >"$tmp/traefik-dynamic.yaml" <<-YAML
		http:
		  routers: {bench: {rule: "PathPrefix(\`/\`)", service: bench, entryPoints: [websecure], tls: {}}}
		  services: {bench: {loadBalancer: {servers: [{url: "http://$up"}]}}}
		tls:
		  certificates: [{certFile: "$cert", keyFile: "$key"}]
		  stores: {default: {defaultCertificate: {certFile: "$cert", keyFile: "$key"}}}
	YAML
	taskset -c "$PROXY_CPU" "$traefik_bin" --entrypoints.websecure.address="127.0.0.1:$port" \
		--providers.file.filename="$tmp/traefik-dynamic.yaml" --log.level=ERROR \
		--global.checkNewVersion=false --global.sendAnonymousUsage=false >"$tmp/traefik.log" 2>&1 &
	pids+=($!)
	pid[traefik-https]=$!
	url[traefik-https]="https://127.0.0.1:$port/"
fi

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
	        listen $ngx ssl http2;
	        ssl_certificate $cert;
	        ssl_certificate_key $key;
	        ssl_protocols TLSv1.2 TLSv1.3;
	        location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
	    }
	}
EOF
taskset -c "$PROXY_CPU" nginx -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf" >/dev/null 2>&1 &
pids+=($!)
pid[nginx-https]=$!
url[nginx-https]="https://$ngx/"

targets=(bulwark-http bulwark-https)
$has_traefik && targets+=(traefik-https)
targets+=(nginx-https)
read -r -a streams <<<"$H2_STREAMS"
modes=(keepalive close)
for m in "${streams[@]}"; do modes+=("h2-m$m"); done

# h2load_run URL STREAMS SECONDS-OR-EMPTY: h2load's whole output; with no
# seconds, 2,000 requests (the start-up check).
h2load_run() {
	local len=(-n 2000)
	[[ -n $3 ]] && len=(-D "$3")
	timeout $((${3:-5} + 20)) taskset -c "$LOAD_CPU" h2load -c "$CONNS" -m "$2" -t 1 "${len[@]}" "$1" 2>&1
}

for t in "${targets[@]}"; do
	for _ in $(seq 100); do curl -skf -o /dev/null "${url[$t]}" && break; sleep 0.1; done
	curl -skf -o /dev/null "${url[$t]}" || {
		echo "tls.sh: $t did not start; curl -v says:" >&2
		curl -skv -o /dev/null "${url[$t]}" >&2 || true
		for f in upstream.log bulwark.log traefik.log nginx/logs/error.log; do
			[[ -f $tmp/$f ]] && { echo "$f:"; tail -20 "$tmp/$f"; } >&2
		done
		exit 1
	}
	timeout 20 taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d2s "${url[$t]}" >/dev/null # warm-up
	[[ $t == bulwark-http ]] && continue
	# Every HTTPS target: the same certificate, and HTTP/2 negotiated by
	# ALPN, else the h2 figures are not h2.
	hostport=${url[$t]#https://} && hostport=${hostport%/}
	served=$(openssl s_client -connect "$hostport" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null || true)
	[[ $served == "$(openssl x509 -in "$cert" -noout -fingerprint -sha256)" ]] ||
		{ echo "tls.sh: $t does not serve $cert (it serves ${served:-nothing})" >&2; exit 1; }
	out=$(h2load_run "${url[$t]}" 1 "")
	grep -q '^Application protocol: h2$' <<<"$out" ||
		{ echo "tls.sh: h2load did not negotiate h2 with $t:" >&2; echo "$out" >&2; exit 1; }
	echo "[tls] $t: $(grep -E '^(TLS Protocol|Cipher|Server Temp Key|Application protocol):' <<<"$out" | tr '\n' ' ')" >&2
done

# load MODE TARGET: prints "req/s latency-ms notes". Latency: wrk's p99, or
# h2load's mean time for request (it reports no percentiles). Notes: "-" when
# clean, else what went wrong (errors, failed requests, not h2).
load() {
	local out hdr=()
	case $1 in
	keepalive | close)
		[[ $1 == close ]] && hdr=(-H "Connection: close")
		out=$(timeout $((DURATION + 20)) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "${hdr[@]}" "${url[$2]}")
		awk '$1 == "Requests/sec:" { r = $2 }
			$1 == "99%" { p = $2; u = 1; if (p ~ /us$/) u = 0.001; else if (p ~ /ms$/) u = 1; else if (p ~ /s$/) u = 1000; sub(/[a-z]+$/, "", p); p = sprintf("%.2f", p * u) }
			/Non-2xx/ { n = n "non-2xx:" $NF "," } /Socket errors/ { n = n "socket-errors," }
			END { print r, p, (n == "" ? "-" : n) }' <<<"$out"
		;;
	h2-m*)
		out=$(h2load_run "${url[$2]}" "${1#h2-m}" "$DURATION")
		awk '$1 == "finished" { r = $4 } $1 == "requests:" { f = $10 + $12 + $14 }
			$1 == "time" && $3 == "request:" { m = $6; u = 1; if (m ~ /us$/) u = 0.001; else if (m ~ /ms$/) u = 1; else if (m ~ /s$/) u = 1000; sub(/[a-z]+$/, "", m); m = sprintf("%.2f", m * u) }
			$1 == "Application" { proto = $3 }
			END { n = ""; if (f > 0) n = "failed:" f ","; if (proto != "h2") n = n "protocol:" proto ","
			      print r, m, (n == "" ? "-" : n) }' <<<"$out"
		;;
	esac
}

declare -A res notes # res[KIND,MODE,TARGET,ROUND], KIND: rps lat share core other loadc
retried=0
n=${#targets[@]}
for ((r = 0; r < ROUNDS; r++)); do
	for mode in "${modes[@]}"; do
		for ((i = 0; i < n; i++)); do
			t=${targets[$(((i + r) % n))]}
			[[ $mode != keepalive && $t == bulwark-http ]] && continue
			for ((try = 0; ; try++)); do
				before=$(cpu_ticks "${pid[$t]}") busy0=$(core_busy "$PROXY_CPU") busy1=$(core_busy "$LOAD_CPU")
				start=$(date +%s.%N)
				read -r v l note <<<"$(load "$mode" "$t")"
				end=$(date +%s.%N)
				after=$(cpu_ticks "${pid[$t]}") busy0b=$(core_busy "$PROXY_CPU") busy1b=$(core_busy "$LOAD_CPU")
				# share: of a core, the proxy's own; other: of the proxy's core,
				# what something else took; loadc: how busy the load core was.
				read -r s o c <<<"$(awk -v a="$before" -v b="$after" -v p0="$busy0" -v p1="$busy0b" -v l0="$busy1" -v l1="$busy1b" \
					-v hz="$hz" -v s="$start" -v e="$end" 'BEGIN { w = (e - s) * hz
					o = ((p1 - p0) - (b - a)) / w; printf "%.4f %.4f %.4f", (b - a) / w, (o > 0 ? o : 0), (l1 - l0) / w }')"
				# Disturbed (something else took more than a tenth of the
				# proxy's core): measured again, up to RETRIES times.
				if ((try >= RETRIES)) || ! awk -v o="$o" 'BEGIN { exit !(o > 0.10) }'; then break; fi
				retried=$((retried + 1))
				echo "[tls] round $((r + 1))/$ROUNDS $mode $t disturbed (other load on CPU $PROXY_CPU $o, $v req/s): again in 5 s" >&2
				sleep 5
			done
			res[rps,$mode,$t,$r]=${v:-0} res[lat,$mode,$t,$r]=${l:-?} res[share,$mode,$t,$r]=$s
			res[other,$mode,$t,$r]=$o res[loadc,$mode,$t,$r]=$c
			res[core,$mode,$t,$r]=$(awk -v v="${v:-0}" -v c="$s" 'BEGIN { printf "%.0f", (c > 0 ? v / c : 0) }')
			[[ $note != - ]] && notes[$mode,$t]+="round $((r + 1)): $note "
			echo "[tls] round $((r + 1))/$ROUNDS $mode $t: $v req/s, latency $l, proxy CPU $s, ${res[core,$mode,$t,$r]} req/s per proxy core; other load on CPU $PROXY_CPU $o, CPU $LOAD_CPU busy $c${note#-}" >&2
		done
	done
done

# vals KIND MODE TARGET: the ROUNDS values, one a line.
vals() { local r; for ((r = 0; r < ROUNDS; r++)); do echo "${res[$1,$2,$3,$r]}"; done; }
# ratio MODE A B: the median over the rounds of A's req/s per proxy core over B's.
ratio() {
	local r
	for ((r = 0; r < ROUNDS; r++)); do
		awk -v a="${res[core,$1,$2,$r]}" -v b="${res[core,$1,$3,$r]}" 'BEGIN { printf "%.4f\n", (b > 0 ? a / b : 0) }'
	done | median
}
has() { [[ " ${targets[*]} " == *" $1 "* ]]; }
declare -A label=([keepalive]="HTTP/1.1 keep-alive" [close]="HTTP/1.1 Connection: close")
for m in "${streams[@]}"; do label[h2-m$m]="h2, $m stream$([[ $m == 1 ]] || echo s)/conn"; done

echo
echo "\`$invocation\`: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?), $(nproc) CPUs, proxy on CPU $PROXY_CPU, load tool and upstream on CPU $LOAD_CPU; wrk -t1 -c$CONNS, h2load -t1 -c$CONNS; medians of $ROUNDS rounds, ratios are medians of per-round ratios"
echo
echo "| load | target | req/s | min–max req/s | proxy CPU | **req/s per proxy core** | per-core ratio to bulwark-http | per-core ratio to traefik-https | latency | other load on CPU $PROXY_CPU (max) | CPU $LOAD_CPU busy |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for mode in "${modes[@]}"; do
	for t in "${targets[@]}"; do
		[[ $mode != keepalive && $t == bulwark-http ]] && continue
		to_http="–"
		[[ $mode == keepalive ]] && to_http=$(printf "%.2fx" "$(ratio "$mode" "$t" bulwark-http)")
		to_traefik="–"
		has traefik-https && to_traefik=$(printf "%.2fx" "$(ratio "$mode" "$t" traefik-https)")
		if [[ $mode == h2-* ]]; then
			l="$(vals lat "$mode" "$t" | median | xargs printf %.2f) ms mean"
		else
			l="$(vals lat "$mode" "$t" | median | xargs printf %.2f) ms p99"
		fi
		printf "| %s | %s | %.0f | %.0f–%.0f | %.2f | %.0f | %s | %s | %s | %.2f | %.2f |\n" "${label[$mode]}" "$t" \
			"$(vals rps "$mode" "$t" | median)" "$(vals rps "$mode" "$t" | sort -g | head -1)" "$(vals rps "$mode" "$t" | sort -g | tail -1)" \
			"$(vals share "$mode" "$t" | median)" "$(vals core "$mode" "$t" | median)" "$to_http" "$to_traefik" "$l" \
			"$(vals other "$mode" "$t" | sort -g | tail -1)" "$(vals loadc "$mode" "$t" | median)"
	done
done
echo
printf -- "- bulwark, HTTPS over HTTP per proxy core (keep-alive): **%.2fx** (issue 19's target: at least 0.90x)\n" "$(ratio keepalive bulwark-https bulwark-http)"
for mode in "${modes[@]}"; do
	line="- ${label[$mode]}, bulwark-https per proxy core:"
	has traefik-https && line+=" $(printf "%.2fx" "$(ratio "$mode" bulwark-https traefik-https)") Traefik's,"
	line+=" $(printf "%.2fx" "$(ratio "$mode" bulwark-https nginx-https)") nginx's"
	echo "$line"
done
# A load during which something else took more than a tenth of the proxy's
# core, even after its retries, was disturbed: its round's ratios are suspect;
# rerun when many are.
disturbed=0 total=0
for k in "${!res[@]}"; do
	[[ $k == other,* ]] || continue
	total=$((total + 1))
	awk -v o="${res[$k]}" 'BEGIN { exit !(o > 0.10) }' && disturbed=$((disturbed + 1))
done
echo "- loads during which other processes took more than 10% of CPU $PROXY_CPU: $disturbed of $total, after $retried measured again (RETRIES=$RETRIES a load)"
for k in "${!notes[@]}"; do echo "- NOTE ${k/,/ }: ${notes[$k]}"; done
# What the proxies logged, besides bulwark's access log and the handshakes
# clients abandon when a load ends.
hs=$(grep -c 'TLS handshake error' "$tmp/bulwark.log" || true)
((hs > 0)) && echo "- bulwark logged $hs TLS handshake errors: connections wrk and h2load drop mid-handshake when a load ends"
for f in bulwark.log traefik.log nginx/logs/error.log; do
	# bulwark.log: its warnings and errors, not its access log.
	pat='.'
	[[ $f == bulwark.log ]] && pat='level=(WARN|ERROR)'
	lines=$(grep -E "$pat" "$tmp/$f" 2>/dev/null | grep -v 'TLS handshake error' | tail -20 | sed 's/^/    /' || true)
	[[ -n $lines ]] && { echo; echo "$f:"; echo "$lines"; }
done
echo
