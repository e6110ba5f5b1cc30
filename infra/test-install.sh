#!/bin/bash
# Exercises infra/install-media-node.sh for real on a fresh Debian tree: a debootstrap'ed bookworm
# (minbase plus systemd, as a server has it) copied to a throwaway directory, the release tarball
# from `npm run pack:media-node`, the install script run inside it with chroot (no systemd
# running there: it installs and enables without starting). Then it checks what the script left:
# the user, the release and Node 22, the env file and its mode, the unit, its stop-timeout drop-in
# and its enablement, `systemd-analyze verify` of the unit inside that root, the node started in
# the chroot as the edgemeet user with the installed env file (health answering on loopback, a
# clean exit on SIGTERM), and a second run of the script (an upgrade keeps the env file).
#
# Not part of npm test: it needs root and, the first time, the network (Debian's mirror, for
# debootstrap and apt-get install systemd; cached in $CACHE afterwards). Takes ~1 minute with the
# cache. Usage: sudo infra/test-install.sh   (CACHE=/var/tmp/edgemeet-deb, KEEP_ROOT=1 keeps the tree)
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${CACHE:-/var/tmp/edgemeet-deb}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
HTTP_PORT=${TEST_HTTP_PORT:-19190}
UDP_PORT=${TEST_UDP_PORT:-19100}

log() { printf '[test-install] %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { log "run it as root"; exit 1; }
for tool in debootstrap chroot systemd-analyze; do command -v "$tool" >/dev/null || { log "missing $tool (apt-get install debootstrap systemd)"; exit 1; }; done

# The base tree, once: minbase bookworm plus systemd (a Debian server has it).
BASE="$CACHE/base-systemd"
if [ ! -x "$BASE/usr/lib/systemd/systemd" ]; then
  mkdir -p "$CACHE"
  [ -d "$CACHE/base" ] || debootstrap --variant=minbase bookworm "$CACHE/base" "$MIRROR"
  rm -rf "$BASE.tmp" && cp -a "$CACHE/base" "$BASE.tmp"
  cp /etc/resolv.conf "$BASE.tmp/etc/resolv.conf"
  mount -t proc proc "$BASE.tmp/proc"
  chroot "$BASE.tmp" /bin/sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null' || { umount "$BASE.tmp/proc"; exit 1; }
  umount "$BASE.tmp/proc"
  mv "$BASE.tmp" "$BASE"
fi

ROOT=$(mktemp -d /var/tmp/edgemeet-install-root.XXXXXX)
PACK=$(mktemp -d)
NODE_PID=""
cleanup() {
  [ -z "$NODE_PID" ] || kill -9 "$NODE_PID" 2>/dev/null || true
  for m in proc dev; do mountpoint -q "$ROOT/$m" && umount -l "$ROOT/$m"; done
  rm -rf "$PACK"
  if [ "${KEEP_ROOT:-0}" = 1 ]; then log "kept $ROOT"; else rm -rf "$ROOT"; fi
}
trap cleanup EXIT
cp -a "$BASE/." "$ROOT/"
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"

# The release, as an operator would copy it to the host.
TARBALL=$(npm exec --silent -- node scripts/pack-media-node.mjs --out "$PACK" | sed -n 's/.*"tarball":"\([^"]*\)".*/\1/p')
[ -f "$TARBALL" ] || { log "packing failed"; exit 1; }
cp "$TARBALL" "$ROOT/root/"
NAME=$(basename "$TARBALL" .tar.gz)
VERSION=${NAME#edgemeet-media-node-}
chroot "$ROOT" tar -C /root -xzf "/root/$NAME.tar.gz"

FAILED=0
check() { # check "what" command...
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then log "ok: $what"; else log "FAILED: $what"; FAILED=1; fi
}

SECRET=install-test-secret-0123456789
log "running install-media-node.sh in the chroot"
chroot "$ROOT" /bin/bash "/root/$NAME/infra/install-media-node.sh" \
  --set EDGE_URL=wss://meet.example.com --set "BRIDGE_SECRET=$SECRET" --set NODE_ID=media-test \
  --set MEDIA_UDP_HOST=0.0.0.0 --set MEDIA_PUBLIC_IP=203.0.113.10 --set "MEDIA_UDP_PORT=$UDP_PORT" \
  --set "HTTP_PORT=$HTTP_PORT" --set BRIDGE_CHANNEL_PUBLIC_URL=wss://media-test.example.com \
  --set DRAIN_TIMEOUT_MS=30000

check "system user edgemeet with no login shell" sh -c "chroot '$ROOT' getent passwd edgemeet | grep -q ':/usr/sbin/nologin$'"
check "edgemeet is a system uid (< 1000)" sh -c "[ \$(chroot '$ROOT' id -u edgemeet) -lt 1000 ]"
check "/opt/edgemeet/current → releases/$VERSION" sh -c "[ \"\$(readlink '$ROOT/opt/edgemeet/current')\" = 'releases/$VERSION' ]"
check "release owned by root, not writable by others" sh -c "[ \"\$(stat -c '%U %a' '$ROOT/opt/edgemeet/releases/$VERSION/media-node/src/main.ts')\" = 'root 644' ]"
check "Node 22 runs in the fresh root" sh -c "chroot '$ROOT' /opt/edgemeet/current/bin/node --version | grep -q '^v22\\.'"
check "env file root:edgemeet 0640" sh -c "[ \"\$(chroot '$ROOT' stat -c '%U:%G %a' /etc/edgemeet/media-node.env)\" = 'root:edgemeet 640' ]"
check "env file has the settings" grep -qx "EDGE_URL=wss://meet.example.com" "$ROOT/etc/edgemeet/media-node.env"
check "env file has every schema key" sh -c "[ \$(grep -cE '^#?[A-Z_]+=' '$ROOT/etc/edgemeet/media-node.env') -eq 17 ]"
check "unit installed as in the release" cmp "$ROOT/etc/systemd/system/edgemeet-media-node.service" infra/systemd/edgemeet-media-node.service
check "stop timeout drop-in: 30 s + 10 s + 15 s" grep -qx "TimeoutStopSec=55" "$ROOT/etc/systemd/system/edgemeet-media-node.service.d/stop-timeout.conf"
check "enabled (multi-user.target.wants)" test -L "$ROOT/etc/systemd/system/multi-user.target.wants/edgemeet-media-node.service"
VERIFY=$(systemd-analyze verify --root="$ROOT" edgemeet-media-node.service 2>&1) && [ -z "$VERIFY" ] && log "ok: systemd-analyze verify in the installed root" || { log "FAILED: systemd-analyze verify: $VERIFY"; FAILED=1; }
log "security: $(systemd-analyze security --offline=yes --root="$ROOT" edgemeet-media-node.service 2>&1 | tail -n 1)"

# The installed node, started as systemd would: the edgemeet user, the env file, the unit's command.
# Its edge is unreachable here (EDGE_URL is overridden to a closed loopback port): it starts, serves
# health, keeps trying to reach the edge, and drains at once on SIGTERM (no conferences).
chroot --userspec=edgemeet:edgemeet "$ROOT" /bin/sh -c \
  'set -a; . /etc/edgemeet/media-node.env; set +a; EDGE_URL=ws://127.0.0.1:9; cd /opt/edgemeet/current && exec bin/node media-node/src/main.ts' \
  > "$PACK/node.log" 2>&1 &
NODE_PID=$!
ok=0
for _ in $(seq 1 40); do
  if "$ROOT/opt/edgemeet/current/bin/node" -e "fetch('http://127.0.0.1:$HTTP_PORT/about/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then ok=1; break; fi
  sleep 0.25
done
[ "$ok" = 1 ] && log "ok: the installed node answers /about/health as user edgemeet" || { log "FAILED: no health answer; its log:"; cat "$PACK/node.log" >&2; FAILED=1; }
check "the node logged media_node.started as JSON" grep -q '"event":"media_node.started"' "$PACK/node.log"
kill -TERM "$NODE_PID"
if wait "$NODE_PID"; then log "ok: SIGTERM drained and exited 0"; else log "FAILED: exit $? after SIGTERM"; FAILED=1; fi
NODE_PID=""

# An upgrade: the same script again; the env file stays as the operator left it.
echo "# operator's note" >> "$ROOT/etc/edgemeet/media-node.env"
chroot "$ROOT" /bin/bash "/root/$NAME/infra/install-media-node.sh" --set EDGE_URL=wss://ignored.example.com 2> "$PACK/second.log"
check "second run keeps the env file" grep -qx "# operator's note" "$ROOT/etc/edgemeet/media-node.env"
check "second run says so" grep -q "is kept; --set values are not applied" "$PACK/second.log"
check "still one user" sh -c "[ \$(grep -c '^edgemeet:' '$ROOT/etc/passwd') -eq 1 ]"

if [ "$FAILED" = 0 ]; then log "PASS"; else log "FAIL"; exit 1; fi
