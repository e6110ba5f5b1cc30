#!/usr/bin/env bash
# Runs bench/signalling.ts against Debian's Prosody and against the edge, same sizes, and prints
# one JSON line per run. Starts both servers on loopback and stops them afterwards.
#   bash bench/compare-signalling.sh [persist-dir]
# The edge keeps Durable Object storage in persist-dir (default /dev/shm/…: Prosody's temporary
# MUC rooms live in memory too; pass a disk path to include disk commits).
set -euo pipefail
cd "$(dirname "$0")/.."
persist="${1:-/dev/shm/edgemeet-bench-state}"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false X_LOCAL_OBSERVABILITY=false WRANGLER_HIDE_BANNER=true
bash bench/prosody.sh start >/dev/null
rm -rf "$persist"
# The per-connection rate limit (200 stanzas/s by default) would cap the fan-out senders; lift it.
setsid npm exec -- wrangler dev --local --ip 127.0.0.1 --port 8787 --persist-to "$persist" --show-interactive-dev-session=false \
  --var RATE_LIMIT_STANZAS_PER_SECOND:1000000 --var RATE_LIMIT_BURST:1000000 --var LOG_LEVEL:warn >/tmp/edgemeet-bench-edge.log 2>&1 &
edge_pid=$!
trap 'kill -- -$edge_pid 2>/dev/null || true; bash bench/prosody.sh stop' EXIT
for _ in $(seq 1 60); do curl -sf http://127.0.0.1:8787/about/health >/dev/null && break; sleep 0.5; done
# wrangler dev puts a proxy workerd in front of the Worker's own workerd; find the latter too.
direct=""
for p in $(ss -ltnp | awk '/workerd/ {split($4, a, ":"); print a[2]}'); do
  [ "$p" = 8787 ] && continue
  curl -sf -m1 "http://127.0.0.1:$p/about/health" | grep -q '"ok"' && direct=$p && break
done
for size in "50 10 10" "200 20 30"; do
  set -- $size
  common=(--clients "$1" --rooms "$2" --fanout-clients "$3" --json)
  npm exec --silent -- node bench/signalling.ts "${common[@]}" --label prosody --url ws://127.0.0.1:15280/xmpp-websocket --domain meet.test
  npm exec --silent -- node bench/signalling.ts "${common[@]}" --label edge-via-wrangler-proxy --url ws://127.0.0.1:8787/xmpp-websocket --domain meet.jitsi --room-param
  [ -n "$direct" ] && npm exec --silent -- node bench/signalling.ts "${common[@]}" --label edge-workerd-direct --url "ws://127.0.0.1:$direct/xmpp-websocket" --domain meet.jitsi --room-param
done
