#!/usr/bin/env bash
# Regenerates every committed fixture with real PyTorch (Debian's python3-torch: apt-get install python3-torch).
set -euo pipefail
cd "$(dirname "$0")/.."
for s in tests/fixtures/make_*.py; do
  echo "== $s"
  /usr/bin/python3 "$s"
done
