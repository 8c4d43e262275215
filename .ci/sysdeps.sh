#!/usr/bin/env bash
# System packages beyond pip: Chromium (the real-browser widget tests) and Debian's Fashion-MNIST package.
# Installed with apt when we are root; otherwise we say exactly what to install.
set -euo pipefail
need=()
# MYLIB_BROWSER=playwright: the browser tests use Playwright's own Chromium (GitHub's Ubuntu has only a snap shim in apt)
if [ "${MYLIB_BROWSER:-}" != playwright ]; then
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
fi
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "mylib: installing system packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
elif command -v apt-get >/dev/null 2>&1; then
  echo "mylib: please run: sudo apt-get install ${need[*]}" >&2
  echo "       (without Chromium the browser tests cannot run; Fashion-MNIST is then fetched with apt-get download)" >&2
else
  echo "mylib: no apt here. For the browser tests install Chromium and set MYLIB_CHROMIUM=/path/to/chromium;" >&2
  echo "       Fashion-MNIST's four idx files can be copied into data/.sources (python -m mylib.engine.datasets fetch says how)." >&2
fi
