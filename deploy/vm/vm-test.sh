#!/usr/bin/env bash
# make vm-test: the packages under a real systemd. Builds them (make deb), makes a Debian 12 root with their
# dependencies, a kernel and systemd (deploy/vm/debian-root.sh, cached), boots it with qemu (deploy/vm/boot.sh;
# KVM when /dev/kvm works, TCG otherwise) and runs deploy/vm/guest-test.sh inside. Bounded: 15 minutes for the VM.
# Output: the serial console, also in .build/vm/vm-test.log. Needs root and Debian's mirror (for the root).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
vm=.build/vm
make --no-print-directory deb DEB_OUT="$vm/debs" > "$vm/deb.log" 2>&1 || { tail -20 "$vm/deb.log"; exit 1; }
grep -E '^(built|lintian)' "$vm/deb.log"
# What the packages depend on, installed in the root beforehand (the VM has no network); sudo, curl and dbus for the checks.
depends=$(for deb in "$vm"/debs/*.deb; do dpkg-deb -f "$deb" Depends; done | tr ',' '\n' | sed -E 's/\(.*\)//; s/ //g' | sort -u)
# shellcheck disable=SC2086 # one package name a word
bash deploy/vm/debian-root.sh "$vm/root" $depends sudo curl dbus
add=$vm/add
rm -rf "$add" && mkdir -p "$add"
cp "$vm"/debs/*.deb "$add/"
cp deploy/vm/guest-test.sh "$add/run.sh"
cp deploy/checks.sh "$add/checks.sh"
dpkg-deb -f "$vm"/debs/sopd_*.deb Version | sed 's/-[^-]*$//' > "$add/version"
bash deploy/vm/boot.sh --root "$vm/root" --add "$add" --timeout 900 --log "$vm/vm-test.log"
