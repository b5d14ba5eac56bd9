#!/usr/bin/env bash
# The e2e tests drive Debian's Chromium (SwiftShader WebGPU). Browser downloads cannot work here,
# so install the distribution package when it is missing (needs root, as on CI and dev machines).
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
echo "Chromium not found at $CHROMIUM: installing Debian's chromium package…" >&2
if [ "$(id -u)" != 0 ]; then
  echo "error: run 'sudo apt-get install -y chromium' (or set CHROMIUM_PATH) and retry" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
