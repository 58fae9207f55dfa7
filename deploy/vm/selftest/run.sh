#!/usr/bin/env bash
# The harness's own check, run inside the VM by deploy/vm/boot.sh: the boot finished under systemd.
set -euo pipefail
echo "system: $(systemctl is-system-running --wait || true)"
echo "systemd: $(systemd --version | head -n 1)"
echo "kernel: $(uname -r)"
