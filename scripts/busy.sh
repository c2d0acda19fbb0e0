#!/usr/bin/env bash
# Keeps one core busy, so the test suite can be run the way it runs on a loaded
# CI machine: the tests must assert properties, not timings, and pass anyway.
#
#   ./scripts/busy.sh start   # one busy loop at nice 0, on core 1 when taskset exists
#   go test -race -count=1 ./test/ ./cmd/... ./gateway/
#   ./scripts/busy.sh stop
#
# The loop's pid is kept in .cache/busy.pid; start refuses to start a second
# one, and stop kills only that pid.
set -euo pipefail
cd "$(dirname "$0")/.."

pidfile=.cache/busy.pid

running() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-}" in
start)
  if running; then
    echo "busy: already running (pid $(cat "$pidfile"))"
    exit 0
  fi
  mkdir -p .cache
  # nohup, taskset and nice each exec the next, so $! is the loop's own pid;
  # pinning it to one core is what a noisy neighbour looks like.
  if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then
    nohup taskset -c 1 nice -n 0 sh -c 'while :; do :; done' >/dev/null 2>&1 &
  else
    nohup nice -n 0 sh -c 'while :; do :; done' >/dev/null 2>&1 &
  fi
  echo $! >"$pidfile"
  echo "busy: started pid $(cat "$pidfile")"
  ;;
stop)
  if running; then
    kill "$(cat "$pidfile")"
    echo "busy: stopped pid $(cat "$pidfile")"
  else
    echo "busy: not running"
  fi
  rm -f "$pidfile"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
