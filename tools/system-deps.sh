#!/usr/bin/env bash
# Debian packages the tests need beyond npm: the C firmware (CMake, libsecp256k1, mbedTLS,
# libmosquitto, clang for libFuzzer, the Cortex-M4 cross compiler) and the explorer's browser
# tests (Debian's chromium: Playwright's own browser download is not reachable). Installs only
# what is missing; run by `npm test` and .ci/run. Without root or apt-get it says what to install.
set -euo pipefail
PKGS="cmake pkg-config libsecp256k1-dev libmbedtls-dev libmosquitto-dev clang gcc-arm-none-eabi libnewlib-arm-none-eabi mosquitto chromium"
missing=$(for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"; done | xargs)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "[system-deps] missing Debian packages: $missing" >&2
  echo "[system-deps] install them with: sudo apt-get install -y $missing" >&2
  exit 1
fi
echo "[system-deps] installing: $missing" >&2
apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
