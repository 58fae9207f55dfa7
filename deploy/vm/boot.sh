#!/usr/bin/env bash
# Boots a fresh VM under a real systemd and runs a test script inside it: copies ADD_DIR to /opt/vmtest in a new
# raw ext4 image of ROOT_DIR (a root from deploy/vm/debian-root.sh), boots it with qemu (KVM when /dev/kvm works,
# else TCG), and once the boot is under way the unit vmtest.service runs /opt/vmtest/run.sh (as root, cwd /opt/vmtest,
# stdin /dev/null, output to /var/log/vmtest.log, copied to the serial console), prints `VMTEST-RESULT: STATUS` as a
# line of its own and powers the VM off.
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
if [ -z "$root" ] || [ -z "$add" ]; then usage; fi
[[ $timeout_s =~ ^[0-9]+$ && $memory =~ ^[0-9]+$ && $cpus =~ ^[0-9]+$ ]] || usage
if [ ! -d "$root/usr" ] || [ ! -d "$root/etc/systemd" ]; then
  echo "boot.sh: $root is not a root filesystem (make one with deploy/vm/debian-root.sh)" >&2
  exit 2
fi
[ -f "$add/run.sh" ] || { echo "boot.sh: $add has no run.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "boot.sh: needs root, to give the image the root's file owners" >&2; exit 2; }
for tool in qemu-system-x86_64 mkfs.ext4 timeout; do
  command -v "$tool" >/dev/null || { echo "boot.sh: needs $tool (apt-get install qemu-system-x86 e2fsprogs)" >&2; exit 2; }
done
kernel=$(printf '%s\n' "$root"/boot/vmlinuz-* | sort -V | tail -n 1)
version=${kernel##*/vmlinuz-}
initrd=$root/boot/initrd.img-$version
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
  echo "boot.sh: no kernel with its initramfs in $root/boot" >&2
  exit 2
fi

mkdir -p "$vm/tmp" "$(dirname "$log")"
work=$(mktemp -d "$vm/tmp/boot.XXXXXX")
probe=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  [ -z "$probe" ] || kill "$probe" 2>/dev/null || true
  if [ "$keep" = 1 ] && [ -f "$work/disk.img" ]; then
    rm -rf "$work/stage"
    echo "boot.sh: kept the image: $work/disk.img"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# KVM when this kernel really boots on it, else TCG. A /dev/kvm that opens is not enough: PVM (kvm_pvm, KVM without
# hardware virtualisation, found on some cloud sandboxes) takes a VM but runs only kernels built as PVM guests, and
# Debian's sits in its decompressor for ever; a nested host may refuse an MSR of `-cpu host` (IA32_ARCH_CAPABILITIES,
# seen on AMD EPYC), hence the second CPU model. The probe waits up to 15 s for the kernel's first line, usually 1 s.
kvm_boots() {
  local serial=$work/kvm-probe.log tries
  : > "$serial"
  qemu-system-x86_64 -accel kvm -cpu "$1" -m 256 -nodefaults -display none -monitor none -no-reboot \
    -serial "file:$serial" -kernel "$kernel" -append "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1" \
    < /dev/null > /dev/null 2>&1 &
  probe=$!
  for ((tries = 0; tries < 75; tries++)); do
    if grep -q 'Linux version' "$serial"; then break; fi
    kill -0 "$probe" 2>/dev/null || break
    sleep 0.2
  done
  kill "$probe" 2>/dev/null || true
  wait "$probe" 2>/dev/null || true
  probe=""
  grep -q 'Linux version' "$serial"
}
cpu="" why=""
if [ "$accel" != tcg ]; then
  if [ ! -c /dev/kvm ]; then
    why="no /dev/kvm"
  elif [ -d /sys/module/kvm_pvm ]; then
    why="/dev/kvm is PVM (kvm_pvm), which boots no stock kernel"
  else
    for candidate in host host,-arch-capabilities; do
      # stderr away: bash says "Aborted" when qemu refuses the CPU model.
      if kvm_boots "$candidate" 2>/dev/null; then cpu=$candidate; break; fi
    done
    [ -n "$cpu" ] || why="the kernel did not start on /dev/kvm within 15 s"
  fi
fi
case $accel in
  "") if [ -n "$cpu" ]; then accel=kvm; else accel=tcg cpu=max; echo "boot.sh: TCG, not KVM: $why"; fi ;;
  kvm) [ -n "$cpu" ] || { echo "boot.sh: --accel kvm: $why" >&2; exit 2; } ;;
  tcg) cpu=max ;;
  *) echo "boot.sh: --accel is kvm or tcg" >&2; exit 2 ;;
esac

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
# Into a file that tail copies to the console until run.sh ends: not through a pipe, which a process that run.sh
# leaves in the background would hold open; and run.sh sees no terminal, as under CI.
/opt/vmtest/run.sh > /var/log/vmtest.log 2>&1 < /dev/null &
test=$!
tail -s 0.2 --pid="$test" -n +1 -f /var/log/vmtest.log
wait "$test"
status=$?
sync
echo "VMTEST-RESULT: $status"
# Straight to systemd (systemctl poweroff would ask logind over D-Bus first, which minbase has not).
systemctl start --no-block --job-mode=replace-irreversibly poweroff.target
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
# The serial console goes to stdout and into the log, less SeaBIOS's terminal controls (which would clear the screen
# and turn off line wrapping) and the carriage returns; qemu reads nothing from the terminal.
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -accel "$accel" -cpu "$cpu" -m "$memory" -smp "$cpus" \
  -nodefaults -nographic -no-reboot -monitor none -serial stdio \
  -kernel "$kernel" -initrd "$initrd" \
  -append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 panic=1 systemd.firstboot=off" \
  -drive "file=$image,format=raw,if=virtio" \
  -device virtio-rng-pci \
  < /dev/null 2>&1 \
  | sed -u -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\r$//' \
  | while IFS= read -r line || [ -n "$line" ]; do
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
result=$({ grep -aE '^VMTEST-RESULT: [0-9]+$' "$log" || true; } | tail -n 1 | cut -d' ' -f2)
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
