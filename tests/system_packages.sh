#!/usr/bin/env bash
# Debian packages the tests need on the machine that runs them (wg-quick for the render check,
# nft for the unit tests that parse rendered rulesets with `nft -c` (never loaded: the package enables no
# service), rsync and shellcheck for ansible-test sanity, the venv module); installs only what is missing.
set -euo pipefail
packages=(python3-venv wireguard-tools nftables rsync shellcheck git make "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] || { echo "system_packages: as root, or run: sudo apt-get install ${missing[*]}" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
