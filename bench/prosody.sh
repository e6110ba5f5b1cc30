#!/usr/bin/env bash
# Starts or stops Debian's Prosody on loopback with the reference configuration
# (../shared/reference/prosody.cfg.lua: ws://127.0.0.1:15280/xmpp-websocket, host meet.test,
# MUC conference.meet.test, anonymous login), for side-by-side benchmarks.
#   bench/prosody.sh start   # installs prosody if missing, prints the state directory
#   bench/prosody.sh stop
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ref="${PROSODY_REFERENCE:-$here/../../shared/reference/prosody.cfg.lua}"
state=/tmp/edgemeet-prosody
case "${1:-}" in
  start)
    command -v prosody >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prosody >/dev/null; }
    if [ -f "$state/prosody.pid" ] && kill -0 "$(cat "$state/prosody.pid")" 2>/dev/null; then echo "$state"; exit 0; fi
    rm -rf "$state" && mkdir -p "$state/data"
    sed "s|@DIR@|$state|g" "$ref" > "$state/prosody.cfg.lua"
    chown -R prosody "$state"
    setsid runuser -u prosody -- prosody --config "$state/prosody.cfg.lua" >"$state/stdout.log" 2>&1 < /dev/null &
    for _ in $(seq 1 50); do
      if (exec 3<>/dev/tcp/127.0.0.1/15280) 2>/dev/null; then echo "$state"; exit 0; fi
      sleep 0.2
    done
    echo "prosody did not start; see $state" >&2; exit 1 ;;
  stop)
    [ -f "$state/prosody.pid" ] && kill "$(cat "$state/prosody.pid")" 2>/dev/null || true ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
