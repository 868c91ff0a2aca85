#!/usr/bin/env bash
# Times `make demo` as a newcomer meets it: on a fresh Debian 12 (a
# debootstrap minbase tree plus git, make and ca-certificates, the least a
# machine that can clone has), so the package installation is counted too.
# The tree lives in a temporary directory, its mounts are undone and the
# directory removed on the way out, also on failure.
#
#   sudo scripts/time-fresh-demo.sh [COMMIT]    (default: HEAD)
#
# Needs root, debootstrap, and Debian's mirror (or a proxy for it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:-HEAD}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

if [[ $(id -u) -ne 0 ]]; then
  echo "time-fresh-demo: run as root (it makes a chroot)" >&2
  exit 2
fi
command -v debootstrap >/dev/null || {
  echo "time-fresh-demo: needs debootstrap (apt-get install debootstrap)" >&2
  exit 2
}

tree=$(mktemp -d /tmp/autoland-fresh.XXXXXX)
cleanup() {
  umount -R "$tree/dev" 2>/dev/null || true
  umount "$tree/proc" "$tree/sys" 2>/dev/null || true
  if mount | grep -q " $tree/"; then
    echo "time-fresh-demo: $tree is still mounted; left in place" >&2
  else
    rm -rf "$tree"
  fi
}
trap cleanup EXIT

echo "time-fresh-demo: a fresh Debian 12 in $tree"
debootstrap --variant=minbase bookworm "$tree" "$mirror" >"$tree.debootstrap.log" 2>&1 || {
  tail -20 "$tree.debootstrap.log" >&2
  exit 1
}
rm -f "$tree.debootstrap.log"
cp /etc/resolv.conf "$tree/etc/resolv.conf"
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
  "$mirror" "$mirror" "$security" >"$tree/etc/apt/sources.list"
mount -t proc proc "$tree/proc"
mount -t sysfs sys "$tree/sys"
mount --rbind /dev "$tree/dev"
mount --make-rslave "$tree/dev"
chroot "$tree" env DEBIAN_FRONTEND=noninteractive bash -c \
  'apt-get update -qq && apt-get install -y -qq --no-install-recommends git make ca-certificates >/dev/null'

git clone -q "$root" "$tree/root/autoland"
git -C "$tree/root/autoland" checkout -q "$commit"
echo "time-fresh-demo: make demo at $(git -C "$tree/root/autoland" rev-parse --short HEAD), $(nproc) cores"
start=$SECONDS
status=0
chroot "$tree" bash -c 'cd /root/autoland && make demo' >"$tree.demo.log" 2>&1 || status=$?
took=$((SECONDS - start))
grep -E "^install-deps|^every bug|^exactly once|FAILED" "$tree.demo.log" || true
echo "time-fresh-demo: make demo exit $status in $((took / 60)) min $((took % 60)) s (log: $tree.demo.log)"
exit $status
