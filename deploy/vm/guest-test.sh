#!/usr/bin/env bash
# Runs inside the VM of make vm-test (as /opt/vmtest/run.sh, root, under systemd): installs the packages and
# follows deploy/README.md against sop-emulator, checking the service through systemctl and journalctl.
# Prints one line per check and ends with `vm-test: N passed, M failed`; exits 1 on any failure.
set -uo pipefail
cd /opt/vmtest || exit 1
# shellcheck source=deploy/checks.sh
source ./checks.sh
# Waits up to $1 seconds for the command after it to succeed.
within() {
  local seconds=$1
  shift
  for _ in $(seq 1 $((seconds * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}
property() { systemctl show -P "$2" "$1"; }
since() { journalctl -u sopd --since "@$1" --no-pager -o cat; }
# Whether sopd's journal since the time $1 (seconds) has a line matching $2.
logged_since() { since "$1" | grep -q -- "$2"; }
write_config() {
  cat > /etc/sopd/sopd.yaml <<YAML
dataverse:
  url: http://127.0.0.1:8401
  clientId: sopd-client-id
  tokenURL: http://127.0.0.1:8401/emulated-tenant/oauth2/v2.0/token
backoffice:
  url: http://127.0.0.1:8402
sync:
  intervalSeconds: 5
$1
YAML
}

echo "== install the packages"
check "dpkg installs sopd and sop-emulator" dpkg -i ./sopd_*.deb ./sop-emulator_*.deb
check "sopd --version says $(cat version)" test "$(sopd --version)" = "$(cat version)"
check "the units are known to systemd" test "$(property sopd.service LoadState)" = loaded

echo "== the tenant and the back office: sop-emulator"
systemd-run --unit=sop-emulator -p DynamicUser=yes sop-emulator --crm-port 8401 --backoffice-port 8402 --seed-demo-data
check "sop-emulator answers" within 20 bash -c 'exec 3<>/dev/tcp/127.0.0.1/8401' 2>/dev/null

echo "== deploy/README.md steps 4 to 6"
write_config ""
install -m 0600 /dev/stdin /etc/sopd/credentials/dataverse-clientSecret <<< "sopd-client-secret"
install -m 0600 /dev/stdin /etc/sopd/credentials/backoffice-token <<< "backoffice-token"
check "sopd sop status with --credentials-dir, as root" \
  sopd sop status --config /etc/sopd/sopd.yaml --credentials-dir /etc/sopd/credentials
check "sopd sop enable with --credentials-dir, as root" \
  sopd sop enable --config /etc/sopd/sopd.yaml --credentials-dir /etc/sopd/credentials
check "sopd doctor through systemd-run with LoadCredential=" \
  systemd-run --pipe --wait -p User=sopd -p LoadCredential=dataverse-clientSecret:/etc/sopd/credentials/dataverse-clientSecret \
  -p LoadCredential=backoffice-token:/etc/sopd/credentials/backoffice-token -p StateDirectory=sopd \
  sopd doctor --config /etc/sopd/sopd.yaml
check "systemctl enable --now sopd" systemctl enable --now sopd
check "READY: the unit is active (Type=notify)" test "$(property sopd.service ActiveState)" = active
check "STATUS shows a cycle's summary" within 60 bash -c 'systemctl show -P StatusText sopd | grep -q "sync: [0-9]* delivered"'
echo "  Status: $(property sopd.service StatusText)"
check "the back office received the 8 demo orders" within 60 bash -c \
  'curl -sf -H "Authorization: Bearer backoffice-token" http://127.0.0.1:8402/_admin/orders | grep -o "\"orderNumber\"" | wc -l | grep -qx 8'
check "journalctl has the startup line with the version" logged_since 0 "sopd running.*version=$(cat version)"
check "/readyz answers 200" within 30 curl -sf -o /dev/null http://127.0.0.1:9464/readyz
check "sudo -u sopd sopd status" sudo -u sopd sopd status
check "sudo -u sopd sopd journal list --state dead" sudo -u sopd sopd journal list --state dead
first=$(property sopd.service WatchdogTimestampMonotonic)
check "the watchdog hears from sopd (a keep-alive within 35 s)" within 35 bash -c \
  "[ \"\$(systemctl show -P WatchdogTimestampMonotonic sopd)\" != '$first' ]"
check "WatchdogUSec is 60 s" test "$(property sopd.service WatchdogUSec)" = 1min

echo "== reloads"
mark=$(date +%s)
write_config "log:
  level: notice"
check "systemctl reload with a good configuration" systemctl reload sopd
check "journalctl: configuration reloaded" within 20 logged_since "$mark" 'configuration reloaded'
since "$mark" | tail -n 3 | sed 's/^/  /'
pid=$(property sopd.service MainPID)
mark=$(date +%s)
write_config "logs:
  level: notice"
check "systemctl reload with a bad configuration fails" bash -c '! systemctl reload sopd'
check "journalctl: the check names the key and the fix" logged_since "$mark" 'logs.level: unknown key'
since "$mark" | tail -n 3 | sed 's/^/  /'
check "the daemon kept running, same process" test "$(property sopd.service MainPID)" = "$pid"
mark=$(date +%s)
write_config "journal:
  path: /var/lib/sopd/other.sqlite"
systemctl reload sopd
check "a reload that moves the journal is refused" within 20 logged_since "$mark" 'journal.path: changes from /var/lib/sopd/journal.sqlite'
since "$mark" | tail -n 2 | sed 's/^/  /'
check "no second journal was made" test ! -e /var/lib/sopd/other.sqlite
write_config ""
systemctl reload sopd

mark=$(date +%s)
check "systemctl kill -s USR1 sopd runs a cycle now" systemctl kill -s USR1 sopd
check "journalctl: the cycle SIGUSR1 asked for" within 30 logged_since "$mark" 'trigger=SIGUSR1'
echo "  libdispatch's 'Failed to set thread priority' lines: $(journalctl -u sopd --no-pager -o cat | grep -c 'thread priority')"

echo "== security"
exposure=$(systemd-analyze security sopd.service 2>/dev/null | sed -n 's/.*Overall exposure level for sopd.service: \([0-9.]*\).*/\1/p')
echo "  exposure: $exposure"
check "systemd-analyze security on the live unit: exposure ≤ 2.0" awk -v score="$exposure" 'BEGIN { exit !(score != "" && score <= 2.0) }'

echo "== a clean stop"
check "systemctl stop sopd" systemctl stop sopd
check "it stopped by itself with status 0" bash -c '[ "$(systemctl show -P Result sopd)" = success ] && [ "$(systemctl show -P ExecMainStatus sopd)" = 0 ]'

echo "== a bad configuration at start is not restarted"
write_config "logs:
  level: notice"
systemctl start sopd
sleep 12
check "exit 78, and no restart after 12 s (RestartSec=5s)" bash -c \
  '[ "$(systemctl show -P ExecMainStatus sopd)" = 78 ] && [ "$(systemctl show -P NRestarts sopd)" = 0 ] && [ "$(systemctl show -P ActiveState sopd)" = failed ]'
journalctl -u sopd --no-pager -o cat -n 3 | sed 's/^/  /'
write_config ""
systemctl reset-failed sopd
systemctl disable sopd

echo "== the timer's run"
check "systemctl enable --now sopd-sync-now.timer" systemctl enable --now sopd-sync-now.timer
check "the timer is listed" bash -c 'systemctl list-timers --all --no-pager | grep -q sopd-sync-now.timer'
check "its service runs one cycle and succeeds" systemctl start sopd-sync-now.service
check "journalctl: the run's summary" bash -c "journalctl -u sopd-sync-now --no-pager -o cat | grep -q '^sync: '"

summary vm-test
