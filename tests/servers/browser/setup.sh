#!/usr/bin/env bash
# The browser the workspace's end-to-end tests drive: Debian's chromium-headless-shell
# (Playwright's own browser download cannot work without internet). Installs it with
# apt-get when missing (as root, or with passwordless sudo); prints its path.
set -euo pipefail
browser=/usr/bin/chromium-headless-shell
if [ ! -x "$browser" ]; then
  command -v apt-get >/dev/null 2>&1 || { echo "browser setup: no $browser and no apt-get" >&2; exit 1; }
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "browser setup: run as root or install chromium-headless-shell" >&2; exit 1; }
    SUDO=(sudo -n)
  fi
  echo "browser setup: installing chromium-headless-shell (apt)" >&2
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null
fi
[ -x "$browser" ] || { echo "browser setup: $browser still missing after apt" >&2; exit 1; }
echo "$browser"
