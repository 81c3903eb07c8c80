#!/usr/bin/env bash
# Installs what GridLedger needs from Debian if it is missing: libsodium and LMDB (headers and pkg-config files),
# chromium, the headless browser scripts/check-report-html.sh checks the HTML reports with, and python3 with venv,
# in which scripts/validate-manifests.sh installs its pinned schema checker.
# Swift itself is expected on PATH (https://www.swift.org/install/linux/).
set -euo pipefail

packages=(libsodium-dev liblmdb-dev pkg-config chromium python3 python3-venv)
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libsodium lmdb && command -v chromium >/dev/null 2>&1 \
    && python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    run_as_root=()
elif command -v sudo >/dev/null 2>&1; then
    run_as_root=(sudo)
else
    echo "setup: need root or sudo to install: ${packages[*]}" >&2
    exit 1
fi
echo "setup: installing ${packages[*]}" >&2
"${run_as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get install -y -qq "${packages[@]}" >/dev/null
pkg-config --exists libsodium lmdb || { echo "setup: libsodium/lmdb still not found by pkg-config" >&2; exit 1; }
