#!/usr/bin/env bash
# make deb-test: the Debian packages as an ops engineer meets them, in a fresh Debian 12 root made with
# debootstrap (minbase; cached in .build/debian-root, a new copy each run). Builds the packages, then
# checks: apt installs them and resolves their Depends; files, modes and owners; the sopd user;
# sopd --version and config check; a sync against sop-emulator as the sopd user; an upgrade to a
# rebuilt package keeps the edited configuration and the journal; a purge leaves nothing of sopd but
# what its output says it kept. Needs root, debootstrap and Debian's mirror. Output: .build/deb-test/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
work=.build/deb-test
root=$work/root
cache=.build/debian-root/bookworm-minbase.tar
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# shellcheck source=deploy/checks.sh
source "$repo/deploy/checks.sh"
in_root() { chroot "$root" "$@"; }
# The mode and owner of $1 in the root, by the root's own users and groups.
mode_owner() {
  local actual
  actual=$(in_root stat -c '%a %U:%G' "$1")
  [ "$actual" = "$2" ] || { echo "  $1 is $actual, not $2" >&2; return 1; }
}
unmount() {
  for point in proc dev/pts dev; do mountpoint -q "$root/$point" && umount -l "$root/$point"; done
  return 0
}
trap unmount EXIT

rm -rf "$work" && mkdir -p "$work"
version=$(dpkg-parsechangelog -l deploy/debian/changelog -S Version)
upstream=${version%-*}
arch=$(dpkg --print-architecture)
echo "== building $version and a rebuilt ${upstream}-$((${version##*-} + 1))"
make --no-print-directory deb DEB_OUT="$work/first" > "$work/build-first.log"
rebuilt=${upstream}-$((${version##*-} + 1))
{
  printf 'sopd (%s) unstable; urgency=medium\n\n  * Rebuilt for make deb-test.\n\n -- sopd maintainers <maintainers@sopd.example>  %s\n\n' \
    "$rebuilt" "$(LC_ALL=C date -u -R)"
  cat deploy/debian/changelog
} > "$work/changelog"
make --no-print-directory deb DEB_OUT="$work/second" DEB_CHANGELOG="$work/changelog" > "$work/build-second.log"
grep -E '^(built|lintian)' "$work/build-first.log" || true

if [ ! -f "$cache" ]; then
  echo "== debootstrap bookworm (minbase) from $mirror, once; cached in $cache"
  mkdir -p "$(dirname "$cache")"
  debootstrap --variant=minbase bookworm "$work/bootstrap" "$mirror" > "$work/debootstrap.log"
  tar -C "$work/bootstrap" -cf "$cache" .
  rm -rf "$work/bootstrap"
fi
mkdir -p "$root"
tar -C "$root" -xf "$cache"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mkdir -p "$root/tmp/debs"
cp "$work"/first/*.deb "$work"/second/*.deb "$root/tmp/debs/"
export DEBIAN_FRONTEND=noninteractive
apt_options=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

echo "== install $version with apt"
in_root apt-get update -q > "$work/apt-update.log"
in_root apt-get install "${apt_options[@]}" "/tmp/debs/sopd_${version}_${arch}.deb" "/tmp/debs/sop-emulator_${version}_${arch}.deb" \
  > "$work/install.log" 2>&1
grep -E '^(sopd:|Setting up sop)' "$work/install.log" || true
check "both packages installed" in_root dpkg-query -W -f='${Status}\n' sopd sop-emulator
depends=$(in_root dpkg-query -W -f='${Depends}' sopd)
echo "  Depends: $depends"
for dependency in $(echo "$depends" | tr ',' '\n' | sed -E 's/\(.*\)//; s/ //g'); do
  check "dependency $dependency resolved and installed" in_root dpkg-query -W -f='${Status}' "$dependency"
done
check "Installed-Size is set" test -n "$(in_root dpkg-query -W -f='${Installed-Size}' sopd)"
check "/usr/bin/sopd 755 root:root" mode_owner /usr/bin/sopd "755 root:root"
check "/usr/bin/sopd is stripped" test -z "$(readelf -S "$root/usr/bin/sopd" | grep -E '\.(debug_info|symtab)')"
echo "  /usr/bin/sopd: $(($(stat -c %s "$root/usr/bin/sopd") / 1048576)) MiB stripped"
check "/etc/sopd 750 root:sopd" mode_owner /etc/sopd "750 root:sopd"
check "/etc/sopd/sopd.yaml 640 root:sopd" mode_owner /etc/sopd/sopd.yaml "640 root:sopd"
check "/etc/sopd/credentials 700 root:root" mode_owner /etc/sopd/credentials "700 root:root"
for file in lib/systemd/system/sopd.service lib/systemd/system/sopd-sync-now.service lib/systemd/system/sopd-sync-now.timer \
  usr/share/man/man8/sopd.8.gz usr/share/man/man5/sopd.yaml.5.gz usr/share/man/man1/sop-emulator.1.gz \
  usr/share/doc/sopd/copyright usr/share/doc/sopd/changelog.Debian.gz usr/share/doc/sopd/DEPLOY.md \
  usr/share/doc/sop-emulator/copyright; do
  check "/$file 644 root:root" mode_owner "/$file" "644 root:root"
done
entry=$(in_root getent passwd sopd)
check "sopd is a system user (uid below 1000)" test "$(echo "$entry" | cut -d: -f3)" -lt 1000
check "without a shell" test "$(echo "$entry" | cut -d: -f7)" = /usr/sbin/nologin
check "/etc/sopd/sopd.yaml is a conffile" contains "$(in_root dpkg-query -W -f='${Conffiles}' sopd)" /etc/sopd/sopd.yaml

echo "== run it"
check "sopd --version says $upstream" test "$(in_root sopd --version)" = "$upstream"
check "sop-emulator --version says $upstream" test "$(in_root sop-emulator --version)" = "$upstream"
set +e
output=$(in_root sopd config check --config /etc/sopd/sopd.yaml 2>&1)
status=$?
set -e
echo "  without secrets: exit $status: $output"
check "config check without the secrets exits 78" test "$status" = 78
check "and names the missing secret" contains "$output" "dataverse.clientSecret: missing"
printf 'a-client-secret' > "$root/etc/sopd/credentials/dataverse-clientSecret"
printf 'a-back-office-token' > "$root/etc/sopd/credentials/backoffice-token"
chmod 0600 "$root"/etc/sopd/credentials/*
check "config check as root with --credentials-dir exits 0" \
  in_root sopd config check --config /etc/sopd/sopd.yaml --credentials-dir /etc/sopd/credentials
set +e
output=$(in_root runuser -u sopd -- sopd config check --config /etc/sopd/sopd.yaml --credentials-dir /etc/sopd/credentials 2>&1)
status=$?
set -e
echo "  as sopd with root's folder: exit $status: $output"
check "the sopd user cannot read root's secrets: exit 78" test "$status" = 78
check "and is told why" contains "$output" "cannot read the folder /etc/sopd/credentials: Permission denied"

install -d -m 0700 "$root/var/lib/sopd"
in_root chown sopd:sopd /var/lib/sopd
in_root runuser -u sopd -- sh -c 'sop-emulator --seed-demo-data > /tmp/emulator.urls 2>/tmp/emulator.log & echo $! > /tmp/emulator.pid'
for _ in $(seq 1 100); do [ "$(wc -l < "$root/tmp/emulator.urls")" -ge 2 ] && break; sleep 0.1; done
crm=$(sed -n 1p "$root/tmp/emulator.urls" | grep -o 'http://[^ ]*')
backoffice=$(sed -n 2p "$root/tmp/emulator.urls" | grep -o 'http://[^ ]*')
printf 'dataverse:\n  url: %s\nbackoffice:\n  url: %s\n' "$crm" "$backoffice" > "$root/tmp/trial.yaml"
chmod 0644 "$root/tmp/trial.yaml"
check "sopd sop enable turns the switch on (sop-emulator starts with it off, as Dynamics does)" \
  in_root runuser -u sopd -- env SOPD_DATAVERSE_TOKEN=sopd-app-token sopd sop enable --config /tmp/trial.yaml
set +e
summary=$(in_root runuser -u sopd -- env SOPD_DATAVERSE_TOKEN=sopd-app-token SOPD_BACKOFFICE_TOKEN=backoffice-token \
  sopd --sync-now --config /tmp/trial.yaml 2>"$work/sync.log")
status=$?
set -e
kill "$(cat "$root/tmp/emulator.pid")" 2>/dev/null || true
echo "  sync: exit $status: $summary"
check "a sync as the sopd user exits 1 (one order refused)" test "$status" = 1
check "and delivers the other 8 demo orders" contains "$summary" "^sync: 8 delivered, 1 failed"
check "the journal is the sopd user's, mode 600" mode_owner /var/lib/sopd/journal.sqlite "600 sopd:sopd"
set +e
in_root runuser -u sopd -- sopd status --config /tmp/trial.yaml > "$work/status.txt" 2>&1
status=$?
set -e
check "sopd status reads it as the sopd user (exit 0 to 3, not 78)" test "$status" -le 3
check "and shows the journal's oldest waiting transfer" contains "$(cat "$work/status.txt")" "oldest waiting:"

echo "== upgrade to $rebuilt"
echo "# edited by the operator" >> "$root/etc/sopd/sopd.yaml"
uid=$(in_root id -u sopd)
in_root apt-get install "${apt_options[@]}" "/tmp/debs/sopd_${rebuilt}_${arch}.deb" "/tmp/debs/sop-emulator_${rebuilt}_${arch}.deb" \
  > "$work/upgrade.log" 2>&1
check "sopd is now $rebuilt" test "$(in_root dpkg-query -W -f='${Version}' sopd)" = "$rebuilt"
check "the edited configuration is kept" grep -q "edited by the operator" "$root/etc/sopd/sopd.yaml"
check "its mode and owner are kept" mode_owner /etc/sopd/sopd.yaml "640 root:sopd"
check "the secrets are kept" test -f "$root/etc/sopd/credentials/dataverse-clientSecret"
check "the journal is kept" test -f "$root/var/lib/sopd/journal.sqlite"
check "the sopd user keeps its uid" test "$(in_root id -u sopd)" = "$uid"

echo "== purge"
in_root apt-get purge "${apt_options[@]}" sopd sop-emulator > "$work/purge.log" 2>&1
grep '^sopd:' "$work/purge.log" | sed 's/^/  /'
check "the purge says it removed the configuration and the secrets" grep -q "removed /etc/sopd: the configuration, and the secrets" "$work/purge.log"
check "the purge says it removed the journal" grep -q "removed the journal in /var/lib/sopd" "$work/purge.log"
check "the purge says it kept the user" grep -q "kept the system user sopd" "$work/purge.log"
check "dpkg knows neither package" test -z "$(in_root dpkg-query -W sopd sop-emulator 2>/dev/null)"
left=$(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./tmp \) -prune -o -name '*sop*' -print | grep -v -E '^\./var/(log|cache)/' || true)
echo "  files named *sop* left: ${left:-none}"
check "nothing of sopd is left on disk" test -z "$left"
check "the sopd user is left, as the purge said" in_root getent passwd sopd

summary deb-test
