#!/usr/bin/env bash
# Makes the build root for the old-glibc Linux prebuilds (scripts/prebuild.mjs --old-glibc):
# a Debian 11 (bullseye) amd64 root, made with debootstrap, with bullseye's own g++ 10, cmake
# and the aarch64 cross g++ 10. Its glibc is 2.31 and its libstdc++ is GCC 10's, so a binary
# built there with -static-libstdc++ -static-libgcc needs no libstdc++ and no glibc symbol
# newer than 2.31; scripts/glibc-2.28.h pins the few that bullseye's glibc versions above 2.28
# (docs/decisions.md). Debian 10 (glibc 2.28 itself) is no longer on the Debian mirror this
# machine reaches, so the oldest root debootstrap can make here is bullseye.
#
# Usage: bash scripts/sysroot.sh [DIR]   (default: $DENSENODE_SYSROOT, else
# ~/.cache/densenode/bullseye-build). Run as root (debootstrap, chroot). About 1.2 GB, 3 min.
# Reuses a finished root; a half-made one (no .densenode-ready marker) is made again.
set -euo pipefail
root=${1:-${DENSENODE_SYSROOT:-$HOME/.cache/densenode/bullseye-build}}
if [ -f "$root/.densenode-ready" ]; then
  echo "sysroot: $root is ready"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "sysroot: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }

# The mirror the host's apt already uses (deb822 or one-line sources), else debootstrap's default.
mirror=$(grep -rhoE '^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+/debian/?$' \
  /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -oE '[a-z]+://[^[:space:]]+' | head -1 || true)

rm -rf "$root"
mkdir -p "$root"
packages=g++,make,cmake,g++-aarch64-linux-gnu,binutils-aarch64-linux-gnu,ca-certificates
debootstrap --variant=minbase --arch=amd64 --include="$packages" bullseye "$root" ${mirror:+"$mirror"}
rm -f "$root"/var/cache/apt/archives/*.deb
touch "$root/.densenode-ready"
echo "sysroot: $root ($(chroot "$root" ldd --version | head -1); $(chroot "$root" g++ --version | head -1))"
