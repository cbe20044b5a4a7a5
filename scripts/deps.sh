#!/usr/bin/env bash
# deps.sh - install the Debian packages Switchboard needs, only those that are missing.
#
# Called by `make deps` (and so by `make run` and `make test`). Prints what it installs; when it
# cannot install (no root, no apt-get), names the missing packages and exits 1.
set -euo pipefail

PKGS=(
  build-essential pkg-config
  libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libssl-dev libcurl4-openssl-dev
  libwslay-dev libgmime-3.0-dev libargon2-dev uuid-dev libpq-dev
  postgresql clang libclang-rt-14-dev
  python3 python3-websockets python3-cryptography python3-twilio
  wrk
)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "install ok installed" ]] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: apt-get not found; install these packages yourself: ${missing[*]}" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: not root and no sudo; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  $SUDO apt-get update -q >>"$log" 2>&1 || true
  if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "deps: apt-get could not install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "deps: installed ${#missing[@]} package(s)"
