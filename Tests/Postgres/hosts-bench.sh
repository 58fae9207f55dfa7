#!/usr/bin/env bash
# Outbound throughput with several hosts (docs/performance.md): one sopd on SQLite, one on PostgreSQL, two on one
# PostgreSQL, against 10,000 submitted orders x 3 lines (ORDERS=N), after make release and Tests/Postgres/prepare.sh;
# sop-emulator as a separate process, `sopd --sync-now` runs (two at once for two hosts, hostName bench-1 and bench-2).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-$PWD/.build/release}
ORDERS=${ORDERS:-10000}
PGURL=$(cat .build/postgres-test/url)
export SOPD_JOURNAL_PASSWORD=$(cat .build/postgres-test/password)
run() {
  local label=$1; shift
  local dir; dir=$(mktemp -d)
  "$BIN/sop-emulator" --crm-port 0 --backoffice-port 0 --sop-integration-enabled --submitted-orders "$ORDERS" > "$dir/emu.out" &
  local emu=$!
  while [ "$(wc -l < "$dir/emu.out")" -lt 2 ]; do sleep 0.1; done
  local dv bo; dv=$(sed -n 's/^dataverse: //p' "$dir/emu.out"); bo=$(sed -n 's/^backoffice: //p' "$dir/emu.out")
  local schema="bench_$(date +%s%N | tail -c 8)"
  local i=0; local pids=()
  local start; start=$(date +%s.%N)
  for journal in "$@"; do
    i=$((i+1))
    [ "$journal" = pg ] && journal="$PGURL&schema=$schema"
    [ "$journal" = sqlite ] && journal="sqlite://$dir/journal.sqlite"
    printf 'dataverse:\n  url: %s\n  token: sopd-app-token\nbackoffice:\n  url: %s\n  token: backoffice-token\njournal:\n  url: "%s"\n  hostName: bench-%s\nmetrics:\n  listen: ""\nlog:\n  level: warning\n' "$dv" "$bo" "$journal" "$i" > "$dir/sopd-$i.yaml"
    /usr/bin/time -f "%M" -o "$dir/rss-$i" "$BIN/sopd" --sync-now --config "$dir/sopd-$i.yaml" > "$dir/out-$i" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  local end; end=$(date +%s.%N)
  local received; received=$(curl -s -H "Authorization: Bearer backoffice-token" "$bo/_admin/orders?from=0" | python3 -c 'import json,sys; o=json.load(sys.stdin)["orders"]; print(len(o), sum(max(x.get("deliveries",1)-1,0) for x in o), len({x["document"]["dynamics"]["salesOrderId"] for x in o}))')
  kill -TERM $emu; wait $emu || true
  local served; served=$(tail -1 "$dir/emu.out")
  printf '%s: %s orders (received, replays, distinct) in %.1f s = %.0f orders/s; peak RSS %s KiB; %s\n' "$label" "$received" "$(echo "$end - $start" | bc)" "$(echo "$ORDERS / ($end - $start)" | bc -l)" "$(cat "$dir"/rss-* | tr '\n' ' ')" "$served"
  for f in "$dir"/out-*; do tail -2 "$f" | cut -c1-200; done
}
run "one host, SQLite" sqlite
run "one host, PostgreSQL" pg
run "two hosts, one PostgreSQL" pg pg
