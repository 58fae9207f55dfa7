#!/usr/bin/env bash
# Boots a fresh VM under a real systemd and runs a test script inside it: copies ADD_DIR to /opt/vmtest in a new
# raw ext4 image of ROOT_DIR (a root from deploy/vm/debian-root.sh), boots it with qemu (KVM when /dev/kvm works,
# else TCG), and once the boot is under way the unit vmtest.service runs /opt/vmtest/run.sh, its output going to the
# serial console (and /var/log/vmtest.log in the guest), prints `VMTEST-RESULT: STATUS` and powers the VM off.
# The image is writable and thrown away afterwards (--keep-image keeps it); the guest has no network.
#
# Exits with run.sh's status; 124 when the VM did not finish within --timeout, 125 when it ended without a result
# (kernel panic, no root, qemu failure); 2 on a usage error. The serial console is printed and kept in the log.
#
# Needs: root (the image keeps ROOT_DIR's owners), qemu-system-x86 (qemu-system-x86_64), e2fsprogs (mkfs.ext4 -d).
#
# Usage: boot.sh --root ROOT_DIR --add ADD_DIR [--timeout SECONDS (600)] [--log FILE (.build/vm/boot.log)]
#                [--memory MiB (2048)] [--cpus N (2)] [--accel kvm|tcg (kvm when it works)] [--keep-image]
set -euo pipefail

usage() {
  sed -n 's/^# Usage: boot.sh/usage: boot.sh/p; s/^#  \{15\}/               /p' "$0" >&2
  exit 2
}
repo=$(cd "$(dirname "$0")/../.." && pwd)
vm=$repo/.build/vm
root="" add="" timeout_s=600 log=$vm/boot.log memory=2048 cpus=2 accel="" keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --root) root=${2:?--root needs a folder}; shift 2 ;;
    --add) add=${2:?--add needs a folder}; shift 2 ;;
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    --log) log=${2:?--log needs a file}; shift 2 ;;
    --memory) memory=${2:?--memory needs MiB}; shift 2 ;;
    --cpus) cpus=${2:?--cpus needs a number}; shift 2 ;;
    --accel) accel=${2:?--accel needs kvm or tcg}; shift 2 ;;
    --keep-image) keep=1; shift ;;
    -h | --help) usage ;;
    *) echo "boot.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$root" ] && [ -n "$add" ] || usage
[[ $timeout_s =~ ^[0-9]+$ && $memory =~ ^[0-9]+$ && $cpus =~ ^[0-9]+$ ]] || usage
[ -d "$root/usr" ] && [ -d "$root/etc/systemd" ] || { echo "boot.sh: $root is not a root filesystem (make one with deploy/vm/debian-root.sh)" >&2; exit 2; }
[ -f "$add/run.sh" ] || { echo "boot.sh: $add has no run.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "boot.sh: needs root, to give the image the root's file owners" >&2; exit 2; }
for tool in qemu-system-x86_64 mkfs.ext4 timeout; do
  command -v "$tool" >/dev/null || { echo "boot.sh: needs $tool (apt-get install qemu-system-x86 e2fsprogs)" >&2; exit 2; }
done
kernel=$(ls "$root"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
version=${kernel##*/vmlinuz-}
initrd=$root/boot/initrd.img-$version
[ -f "$kernel" ] && [ -f "$initrd" ] || { echo "boot.sh: no kernel with its initramfs in $root/boot" >&2; exit 2; }

# KVM when a VM really starts on /dev/kvm, else TCG. The probe starts (paused) the same CPU model as the real run:
# a nested host may refuse one of the MSRs of `-cpu host` (IA32_ARCH_CAPABILITIES, seen on AMD EPYC), hence the
# second choice without that feature.
kvm_starts() {
  # In a subshell, so that bash's own "Aborted" line for a refused CPU goes to /dev/null too.
  ( echo quit | timeout 20 qemu-system-x86_64 -accel kvm -cpu "$1" -nodefaults -display none -S -monitor stdio ) \
    > /dev/null 2>&1
}
cpu=""
if [ "$accel" != tcg ] && [ -c /dev/kvm ]; then
  for candidate in host host,-arch-capabilities; do
    if kvm_starts "$candidate"; then cpu=$candidate; break; fi
  done
fi
case $accel in
  "") if [ -n "$cpu" ]; then accel=kvm; else accel=tcg cpu=max; fi ;;
  kvm) [ -n "$cpu" ] || { echo "boot.sh: --accel kvm: no VM starts on /dev/kvm" >&2; exit 2; } ;;
  tcg) cpu=max ;;
  *) echo "boot.sh: --accel is kvm or tcg" >&2; exit 2 ;;
esac

mkdir -p "$vm/tmp" "$(dirname "$log")"
work=$(mktemp -d "$vm/tmp/boot.XXXXXX")
cleanup() {
  if [ "$keep" = 1 ] && [ -f "$work/disk.img" ]; then
    rm -rf "$work/stage"
    echo "boot.sh: kept the image: $work/disk.img"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# The staging tree is ROOT_DIR hard-linked (fast, no copy): every file changed below is first removed, never written
# in place, so ROOT_DIR stays as it is. mkfs.ext4 -d then copies the tree into the image.
stage=$work/stage
cp -al "$root" "$stage"
rm -f "$stage/.sopd-vm-root"
rm -rf "$stage/opt/vmtest"
cp -a "$add" "$stage/opt/vmtest"
chmod +x "$stage/opt/vmtest/run.sh"
rm -f "$stage/etc/machine-id"
tr -d '-' < /proc/sys/kernel/random/uuid > "$stage/etc/machine-id"
mkdir -p "$stage/usr/local/sbin" "$stage/etc/systemd/system/multi-user.target.wants"
cat > "$stage/usr/local/sbin/vmtest-run" <<'EOF'
#!/bin/bash
# Runs /opt/vmtest/run.sh for deploy/vm/boot.sh, prints its status as the last line, then powers the VM off.
echo "VMTEST-START: guest up for $(cut -d' ' -f1 /proc/uptime) s"
cd /opt/vmtest
/opt/vmtest/run.sh 2>&1 < /dev/null | tee /var/log/vmtest.log
status=${PIPESTATUS[0]}
sync
echo "VMTEST-RESULT: $status"
systemctl poweroff --no-block
EOF
chmod 0755 "$stage/usr/local/sbin/vmtest-run"
# Type=exec, not oneshot: the unit's start job ends as soon as the script runs, so the boot finishes and
# `systemctl is-system-running --wait` inside the script returns instead of waiting for the script itself.
cat > "$stage/etc/systemd/system/vmtest.service" <<'EOF'
[Unit]
Description=The test of deploy/vm/boot.sh (/opt/vmtest/run.sh), then power off
After=multi-user.target

[Service]
Type=exec
ExecStart=/usr/local/sbin/vmtest-run
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/ttyS0
Environment=DEBIAN_FRONTEND=noninteractive SYSTEMD_PAGER=cat PAGER=cat SYSTEMD_COLORS=0 HOME=/root
WorkingDirectory=/opt/vmtest

[Install]
WantedBy=multi-user.target
EOF
ln -sf ../vmtest.service "$stage/etc/systemd/system/multi-user.target.wants/vmtest.service"
# No login prompt on the console in the middle of the test's output, no first-boot questions.
for unit in serial-getty@ttyS0.service getty@tty1.service systemd-firstboot.service; do
  rm -f "$stage/etc/systemd/system/$unit"
  ln -s /dev/null "$stage/etc/systemd/system/$unit"
done

# Room for the test to install packages and write data: the tree plus 1.5 GiB, in a sparse file.
image=$work/disk.img
size_kib=$(( $(du -sk "$stage" | cut -f1) + 1536 * 1024 ))
truncate -s "${size_kib}K" "$image"
mkfs.ext4 -q -F -L sopd-vm -d "$stage" "$image"
rm -rf "$stage"

echo "boot.sh: booting Debian ($version, $accel -cpu $cpu, ${memory} MiB, $cpus CPUs, timeout ${timeout_s} s); console log: $log"
started=$(date +%s.%N)
: > "$log"
set +e
# The serial console goes to stdout and into the log; qemu reads nothing from the terminal.
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -accel "$accel" -cpu "$cpu" -m "$memory" -smp "$cpus" \
  -nodefaults -nographic -no-reboot -monitor none -serial stdio \
  -kernel "$kernel" -initrd "$initrd" \
  -append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 panic=1 systemd.firstboot=off" \
  -drive "file=$image,format=raw,if=virtio" \
  -device virtio-rng-pci \
  < /dev/null 2>&1 | while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line"
    printf '%s\n' "$line" >> "$log"
    case $line in
      *VMTEST-START:*) [ -e "$work/booted" ] || date +%s.%N > "$work/booted" ;;
    esac
  done
qemu_status=${PIPESTATUS[0]}
set -e
ended=$(date +%s.%N)

if [ -e "$work/booted" ]; then
  boot=$(awk -v a="$started" -v b="$(cat "$work/booted")" 'BEGIN { printf "%.1f", b - a }')
  echo "boot.sh: booted in $boot s (qemu start to run.sh start, $accel)"
fi
total=$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.1f", b - a }')
result=$(tr -d '\r' < "$log" | { grep -aoE 'VMTEST-RESULT: [0-9]+' || true; } | tail -n 1 | cut -d' ' -f2)
if [ -n "$result" ]; then
  echo "boot.sh: run.sh exited with $result (VM ran $total s)"
  exit "$result"
fi
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
  echo "boot.sh: no result: the VM did not finish within $timeout_s s (console log: $log)" >&2
  exit 124
fi
echo "boot.sh: no result: the VM stopped after $total s without a VMTEST-RESULT line, qemu exit $qemu_status (console log: $log)" >&2
exit 125
