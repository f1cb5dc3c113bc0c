#!/usr/bin/env bash
# Brings a fresh checkout to a runnable state: npm packages, the TypeScript build and, when
# root, the Debian packages berth drives. Idempotent and quick when everything is present.
# Usage: scripts/bootstrap.sh start|test
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-test}

# Debian packages: what `npm start` needs, and what the test suite drives as real peers.
START_PKGS=(ostree attr xz-utils crun runc conmon iproute2 busybox-static e2fsprogs tini)
TEST_PKGS=("${START_PKGS[@]}" python3-gi gir1.2-glib-2.0 skopeo docker-registry uidmap libarchive-tools gnupg openssl zstd mmdebstrap rpm createrepo-c dnf fdisk qemu-system-x86 qemu-utils cpio grub-pc-bin systemd dosfstools mtools xorriso)

if [ "$purpose" = start ]; then want=("${START_PKGS[@]}"); else want=("${TEST_PKGS[@]}"); fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages (tests that use them will fail): ${missing[*]}" >&2
    echo "bootstrap: as root, run: apt-get install ${missing[*]}" >&2
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci" >&2
  npm ci --no-audit --no-fund >/dev/null
fi
echo "bootstrap: building" >&2
node node_modules/typescript/bin/tsc -p .
