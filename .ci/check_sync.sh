#!/usr/bin/env bash
# Fail if nbdev-clean, nbdev-export or the README generator would change the tree:
# notebooks are committed clean, mylib/ is exactly what nbs/ exports, README.md is what index.ipynb makes.
set -euo pipefail
BIN=${BIN:-.venv/bin}
snap() { find nbs mylib README.md -type f \( -name '*.ipynb' -o -name '*.py' -o -name '*.md' -o -name '*.yml' \) \
           ! -path '*/.ipynb_checkpoints/*' ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum; }
before=$(snap)
"$BIN/nbdev-clean"
"$BIN/nbdev-export"
"$BIN/python" .ci/readme.py >/dev/null
"$BIN/python" .ci/sidebar.py
after=$(snap)
if [ "$before" != "$after" ]; then
  echo "These files changed under nbdev-clean / nbdev-export / .ci/readme.py; commit the result:" >&2
  diff <(echo "$before") <(echo "$after") | awk '/^[<>]/ {print "  " $3}' | sort -u >&2
  exit 1
fi
echo "sync: notebooks clean, mylib/ exported, README.md up to date"
