#!/bin/bash
# Installs (or upgrades) an edgemeet media node on a Debian host, from a release tarball made by
# `npm run pack:media-node` (Node 22 from the npm node@22 package is inside: nothing is downloaded
# on the host). Run as root, from the unpacked release or with --tarball:
#
#   tar xzf edgemeet-media-node-<version>.tar.gz
#   sudo edgemeet-media-node-<version>/infra/install-media-node.sh \
#     --set EDGE_URL=wss://meet.example.com --set BRIDGE_SECRET=... \
#     --set MEDIA_UDP_HOST=0.0.0.0 --set MEDIA_PUBLIC_IP=203.0.113.10 \
#     --set BRIDGE_CHANNEL_PUBLIC_URL=wss://media-1.meet.example.com
#
# It creates the system user `edgemeet`, unpacks the release to /opt/edgemeet/releases/<version>
# (/opt/edgemeet/current points at it), writes /etc/edgemeet/media-node.env from the config schema
# (kept as it is on an upgrade; --set values go into a new file only), checks it with the node's own
# loadConfig, installs the systemd unit and a stop-timeout drop-in matching DRAIN_TIMEOUT_MS +
# SHUTDOWN_MOVE_MS, opens MEDIA_UDP_PORT/udp in ufw or nftables when one is active, enables the
# service and (re)starts it, then waits for /about/health. Restarting a running node drains it.
#
# Options:
#   --tarball FILE     the release to install (default: the release this script is in)
#   --env-file FILE    install this env file instead of generating one (replaces an existing one)
#   --set KEY=VALUE    a setting for the generated env file (repeatable)
#   --no-start         install and enable only; also implied where systemd is not running (chroot)
#   --no-firewall      leave the firewall alone
#   --keep N           releases kept in /opt/edgemeet/releases (default 3)
set -euo pipefail

PREFIX=/opt/edgemeet
ETC=/etc/edgemeet
UNIT=edgemeet-media-node.service
UNIT_DIR=/etc/systemd/system
USER_NAME=edgemeet

log() { printf '[install-media-node] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

TARBALL="" ENV_SRC="" START=1 FIREWALL=1 KEEP=3
SETTINGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tarball) TARBALL=${2:?}; shift 2 ;;
    --env-file) ENV_SRC=${2:?}; shift 2 ;;
    --set) SETTINGS+=("--set" "${2:?}"); shift 2 ;;
    --no-start) START=0; shift ;;
    --no-firewall) FIREWALL=0; shift ;;
    --keep) KEEP=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (--help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run it as root"
[ -r /etc/debian_version ] || log "warning: not a Debian system (/etc/debian_version missing); going on"
if [ "$START" = 1 ] && [ ! -d /run/systemd/system ]; then
  log "systemd is not running here (a chroot or container): installing without starting (--no-start)"
  START=0
fi

# --- the release -----------------------------------------------------------------------------
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ -n "$TARBALL" ]; then
  tar -C "$WORK" -xzf "$TARBALL"
  SRC=$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'edgemeet-media-node-*' | head -n 1)
else
  SRC=$(cd "$(dirname "$0")/.." && pwd)
fi
[ -n "$SRC" ] && [ -f "$SRC/VERSION" ] && [ -f "$SRC/media-node/src/main.ts" ] || die "no release found (--tarball FILE, or run the script inside an unpacked release)"
VERSION=$(cat "$SRC/VERSION")
RELEASE="$PREFIX/releases/$VERSION"

# Node 22: the release's own (npm node@22 package), else Debian's nodejs if it is 22 or later.
node_major() { "$1" --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'; }
if [ ! -x "$SRC/bin/node" ]; then
  if ! command -v node >/dev/null && command -v apt-get >/dev/null; then
    candidate=$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: \([0-9]*\).*/\1/p')
    if [ -n "$candidate" ] && [ "$candidate" -ge 22 ]; then
      apt-get install -y --no-install-recommends nodejs
    fi
  fi
  system_node=$(command -v node || true)
  [ -n "$system_node" ] && [ "$(node_major "$system_node")" -ge 22 ] || die "the release has no bin/node and there is no Node 22 (Debian's nodejs is older here): use a release packed with it"
  mkdir -p "$SRC/bin" && ln -sfn "$system_node" "$SRC/bin/node"
fi
[ "$(node_major "$SRC/bin/node")" -ge 22 ] || die "$SRC/bin/node is not Node 22 or later"

# --- user and files ----------------------------------------------------------------------------
if ! getent passwd "$USER_NAME" >/dev/null; then
  useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
  log "created system user $USER_NAME"
fi

mkdir -p "$PREFIX/releases"
if [ -d "$RELEASE" ]; then
  log "release $VERSION already installed; reinstalling it"
  rm -rf "$RELEASE"
fi
cp -a "$SRC" "$RELEASE.tmp"
chown -R root:root "$RELEASE.tmp"
chmod -R u=rwX,go=rX "$RELEASE.tmp"
mv "$RELEASE.tmp" "$RELEASE"
ln -sfn "releases/$VERSION" "$PREFIX/current.tmp" && mv -T "$PREFIX/current.tmp" "$PREFIX/current"
log "installed $VERSION in $RELEASE ($PREFIX/current → releases/$VERSION; Node $("$RELEASE/bin/node" --version))"
# Older releases beyond --keep go (never the current one).
# shellcheck disable=SC2010 # release names are ours: <semver>-<commit>
ls -1t "$PREFIX/releases" | { grep -vxF "$VERSION" || true; } | tail -n +"$KEEP" | while read -r old; do rm -rf "${PREFIX:?}/releases/$old"; log "removed old release $old"; done

# --- configuration -----------------------------------------------------------------------------
ENV_FILE="$ETC/media-node.env"
install -d -m 0750 -o root -g "$USER_NAME" "$ETC"
if [ -n "$ENV_SRC" ]; then
  install -m 0640 -o root -g "$USER_NAME" "$ENV_SRC" "$ENV_FILE"
  log "installed $ENV_FILE from $ENV_SRC"
elif [ -f "$ENV_FILE" ]; then
  [ ${#SETTINGS[@]} -eq 0 ] || log "warning: $ENV_FILE exists and is kept; --set values are not applied (edit it, or --env-file)"
  log "keeping $ENV_FILE"
else
  "$RELEASE/bin/node" "$RELEASE/scripts/media-node-env.mjs" "${SETTINGS[@]}" > "$WORK/media-node.env"
  install -m 0640 -o root -g "$USER_NAME" "$WORK/media-node.env" "$ENV_FILE"
  log "wrote $ENV_FILE from the config schema"
fi

# The node's own loadConfig judges the file (every bad key named); systemd reads it the same way.
# It is sourced: plain KEY=VALUE lines (media-node-env.mjs refuses quotes, $ and backslashes).
CONFIG_OK=1
# shellcheck disable=SC1090
if ! (set -a; . "$ENV_FILE"; set +a; cd "$RELEASE" && bin/node --input-type=module -e \
  "const { loadConfig } = await import('./media-node/src/config.ts'); const c = loadConfig(); console.log(JSON.stringify({ event: 'config.ok', node: c.nodeId, edge: c.edgeUrl, udp: c.udpHost + ':' + c.udpPort, http: c.httpHost + ':' + c.httpPort }));" >&2); then
  CONFIG_OK=0
  log "warning: $ENV_FILE is not complete yet (above); fill it in, then: systemctl restart $UNIT"
fi
# shellcheck disable=SC1090
env_value() { (set -a; . "$ENV_FILE"; set +a; eval "printf '%s' \"\${$1:-}\""); }
stop_args=()
for k in DRAIN_TIMEOUT_MS SHUTDOWN_MOVE_MS; do
  v=$(env_value "$k"); [ -z "$v" ] || stop_args+=("--set" "$k=$v")
done
STOP_TIMEOUT=$("$RELEASE/bin/node" "$RELEASE/scripts/media-node-env.mjs" "${stop_args[@]}" --stop-timeout)

# --- systemd unit ------------------------------------------------------------------------------
install -d -m 0755 "$UNIT_DIR" "$UNIT_DIR/$UNIT.d"
install -m 0644 "$RELEASE/infra/systemd/$UNIT" "$UNIT_DIR/$UNIT"
cat > "$UNIT_DIR/$UNIT.d/stop-timeout.conf" <<EOF
# Written by install-media-node.sh from $ENV_FILE: DRAIN_TIMEOUT_MS + SHUTDOWN_MOVE_MS + 15 s.
[Service]
TimeoutStopSec=$STOP_TIMEOUT
EOF
chmod 0644 "$UNIT_DIR/$UNIT.d/stop-timeout.conf"
log "installed $UNIT_DIR/$UNIT (stop timeout ${STOP_TIMEOUT} s)"
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable "$UNIT" >/dev/null 2>&1
else
  # No running systemd: enable as `systemctl enable` would, by its [Install] WantedBy.
  install -d -m 0755 "$UNIT_DIR/multi-user.target.wants"
  ln -sfn "$UNIT_DIR/$UNIT" "$UNIT_DIR/multi-user.target.wants/$UNIT"
fi
log "enabled $UNIT"

# --- firewall: the media port to browsers (the HTTP port goes behind a TLS proxy) ----------------
UDP_PORT=$(env_value MEDIA_UDP_PORT); UDP_PORT=${UDP_PORT:-10000}
if [ "$FIREWALL" = 1 ]; then
  if command -v ufw >/dev/null && ufw status 2>/dev/null | grep -q '^Status: active'; then
    ufw allow "$UDP_PORT/udp" comment 'edgemeet media node' >/dev/null
    log "ufw: allowed $UDP_PORT/udp"
  elif command -v nft >/dev/null && nft list chain inet filter input >/dev/null 2>&1; then
    if nft list chain inet filter input | grep -q "udp dport $UDP_PORT accept"; then
      log "nftables: inet filter input already accepts udp dport $UDP_PORT"
    else
      nft add rule inet filter input udp dport "$UDP_PORT" accept
      log "nftables: added 'udp dport $UDP_PORT accept' to inet filter input (live; add it to /etc/nftables.conf to keep it)"
    fi
  else
    log "no active ufw or nftables 'inet filter' table: make sure UDP $UDP_PORT reaches this host"
  fi
fi

# --- start ---------------------------------------------------------------------------------------
if [ "$START" = 0 ]; then
  log "not started (--no-start): systemctl start $UNIT when ready"
  exit 0
fi
[ "$CONFIG_OK" = 1 ] || { log "not started: the configuration is incomplete"; exit 0; }
systemctl restart "$UNIT"
HTTP_HOST=$(env_value HTTP_HOST); HTTP_PORT=$(env_value HTTP_PORT)
case "${HTTP_HOST:-127.0.0.1}" in 0.0.0.0|::) HTTP_HOST=127.0.0.1 ;; esac
HEALTH="http://${HTTP_HOST:-127.0.0.1}:${HTTP_PORT:-9090}/about/health"
if "$RELEASE/bin/node" -e "
  const deadline = Date.now() + 30000;
  (async () => { for (;;) { try { const r = await fetch(process.argv[1]); if (r.ok) { console.log(await r.text()); return; } } catch {}
    if (Date.now() > deadline) process.exit(1); await new Promise((r) => setTimeout(r, 500)); } })();" "$HEALTH"; then
  log "running: $HEALTH answers; logs: journalctl -u $UNIT -f"
else
  die "$UNIT did not answer $HEALTH within 30 s: journalctl -u $UNIT -n 50"
fi
