#!/usr/bin/env bash
# Makes a Debian 12 (bookworm) root filesystem in OUT_DIR for deploy/vm/boot.sh: debootstrap --variant=minbase with
# systemd as init, udev and Debian's kernel (linux-image-amd64, with its initramfs); hostname sopd-vm, root on
# /dev/vda, no network but the loopback that systemd brings up by itself.
#
# The PACKAGEs named after OUT_DIR are installed too, with their dependencies. The VM has no network, so this is
# how a test pre-installs what its own .debs depend on: `dpkg -i /opt/vmtest/*.deb` then works offline inside.
#
# Cache, in .build/vm/cache/ (so `make clean` removes it): the downloaded .debs (debs/), and a tarball of the finished
# root for each package list and configuration (root-KEY.tar.zst): a rerun with the same packages unpacks it
# in seconds and asks the mirror for nothing. OUT_DIR is rebuilt only when its package list changed. The packages
# are those of the suite when the tarball was made (no security updates): to take newer ones, remove
# .build/vm/cache/root-*.
#
# Needs: root, debootstrap, tar, zstd, and a Debian mirror: MIRROR=URL, else the bookworm one in /etc/apt, else
# http://deb.debian.org/debian.
#
# Usage: debian-root.sh OUT_DIR [PACKAGE…]
set -euo pipefail

usage() { echo "usage: $0 OUT_DIR [PACKAGE…]" >&2; exit 2; }
[ $# -ge 1 ] || usage
case $1 in -h | --help) usage ;; esac
[ "$(id -u)" = 0 ] || { echo "$0: needs root (debootstrap, device nodes, file owners)" >&2; exit 1; }
for tool in debootstrap tar zstd sha256sum; do
  command -v "$tool" >/dev/null || { echo "$0: needs $tool (apt-get install $tool)" >&2; exit 1; }
done

suite=bookworm
repo=$(cd "$(dirname "$0")/../.." && pwd)
vm=$repo/.build/vm
cache=$vm/cache
mkdir -p "$cache/debs" "$vm/tmp"
for package in "${@:2}"; do
  [[ $package =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || { echo "$0: not a Debian package name: '$package'" >&2; exit 2; }
done
out=$(mkdir -p "$1" && cd "$1" && pwd)
shift
marker=$out/.sopd-vm-root

case $out in / | /bin | /boot | /dev | /etc | /home | /lib* | /opt | /proc | /root | /run | /sbin | /srv | /sys | /tmp | /usr | /var | "$repo")
  echo "$0: refusing to build a root filesystem in $out" >&2; exit 2 ;;
esac

# What the root gets beyond debootstrap: a machine that boots from /dev/vda under systemd, with nothing that reaches
# for the network. Its code is part of the cache key, so a change here makes the root anew.
configure_root() {
  echo sopd-vm > "$1/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tsopd-vm\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$1/etc/hosts"
  printf '# <file system> <mount point> <type> <options> <dump> <pass>\n/dev/vda / ext4 rw,errors=remount-ro 0 1\n' \
    > "$1/etc/fstab"
  # Empty: boot.sh writes a fresh machine ID into each image it makes.
  : > "$1/etc/machine-id"
  rm -f "$1/var/lib/dbus/machine-id"
  # Timers and services that reach for the network or run maintenance in the middle of a test.
  for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
      systemd-timesyncd.service; do
    ln -sf /dev/null "$1/etc/systemd/system/$unit"
  done
  # The downloaded .debs stay in the cache, not in the root (debootstrap usually leaves none there anyway).
  rm -f "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin
  ls "$1"/boot/vmlinuz-* "$1"/boot/initrd.img-* > /dev/null 2>&1 \
    || { echo "$0: no kernel and initramfs in $1/boot" >&2; exit 1; }
}

# The package list, sorted and without repeats; the cache key covers it and configure_root.
base=(systemd-sysv udev linux-image-amd64)
packages=$(printf '%s\n' "${base[@]}" "$@" | sort -u | paste -sd, -)
key=$( { echo "$suite minbase $packages"; declare -f configure_root; } | sha256sum | cut -c1-16)
tarball=$cache/root-$key.tar.zst

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$key" ]; then
  echo "debian-root: $out is up to date ($packages)"
  exit 0
fi
if [ -n "$(ls -A "$out")" ] && [ ! -f "$marker" ]; then
  echo "$0: $out is not empty and was not made by this script: name an empty or new folder" >&2
  exit 2
fi

# Never leaves anything mounted inside OUT_DIR (debootstrap mounts /proc and /sys there), nor a temporary file.
# shellcheck disable=SC2317 # also called by the trap
unmount_below() {
  local mounts
  mounts=$(awk -v prefix="$1/" 'index($2 "/", prefix) == 1 { print $2 }' /proc/self/mounts | sort -r)
  [ -z "$mounts" ] || echo "$mounts" | xargs -r -n1 umount -l
}
partial=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  unmount_below "$out"
  [ -z "$partial" ] || rm -f "$partial"
}
trap cleanup EXIT

# Empties OUT_DIR (one of ours, from an older package list or an interrupted run), staying on its file system.
unmount_below "$out"
find "$out" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +
echo incomplete > "$marker"

started=$SECONDS
if [ -f "$tarball" ]; then
  echo "debian-root: unpacking the cached root $tarball into $out"
  if ! tar -C "$out" --zstd --numeric-owner --xattrs --xattrs-include='*' -xpf "$tarball"; then
    rm -f "$tarball"
    echo "$0: the cached root $tarball did not unpack; removed it, so the next run makes it anew" >&2
    exit 1
  fi
  touch "$tarball"
else
  if [ -z "${MIRROR:-}" ]; then
    # The first deb822 stanza of type deb that carries the suite, else a one-line source, else Debian's redirector.
    MIRROR=$(awk -v suite="$suite" '
      /^[ \t]*$/ { if (deb && has && uri != "") { print uri; exit } deb = has = 0; uri = ""; next }
      /^Types:/  { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
      /^URIs:/   { uri = $2 }
      END        { if (deb && has && uri != "") print uri }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  fi
  if [ -z "${MIRROR:-}" ]; then
    MIRROR=$(sed -nE "s/^deb[ \t]+(\[[^]]*\][ \t]+)?([^ \t]+)[ \t]+${suite}[ \t].*/\2/p" \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
  fi
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  echo "debian-root: debootstrap $suite from $MIRROR into $out ($packages)"
  log=$vm/debootstrap.log
  if ! debootstrap --variant=minbase --include="$packages" --cache-dir="$cache/debs" \
      "$suite" "$out" "$MIRROR" > "$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "$0: debootstrap failed (whole log: $log; the root's own: $out/debootstrap/debootstrap.log)" >&2
    exit 1
  fi
  unmount_below "$out"

  configure_root "$out"
  rm -f "$marker"

  echo "debian-root: caching the root as $tarball"
  partial=$tarball.partial.$$
  tar -C "$out" --zstd --numeric-owner --xattrs --xattrs-include='*' -cf "$partial" .
  mv "$partial" "$tarball"
  partial=""
  echo "$packages" > "$cache/root-$key.packages"
  # The three roots used last stay cached (each some 200 MB); older ones go. (Our own file names: ls is safe.)
  # shellcheck disable=SC2012
  for stale in $(ls -t "$cache"/root-*.tar.zst | tail -n +4); do
    rm -f "$stale" "${stale%.tar.zst}.packages"
  done
fi
echo "$key" > "$marker"
echo "debian-root: $out ready in $((SECONDS - started)) s ($packages)"
