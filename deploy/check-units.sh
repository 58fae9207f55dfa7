#!/usr/bin/env bash
# Checks the systemd units: `systemd-analyze verify` on all of them (their man: pages included), and an
# exposure of 2.0 or lower from `systemd-analyze security --offline=true` for each service. The units name /usr/bin/sopd;
# the check points them at the built binary given as $1 so that verify can find it.
set -euo pipefail
binary=${1:?usage: check-units.sh PATH-TO-BUILT-SOPD}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
man=$(mktemp -d)
trap 'rm -rf "$work" "$man"' EXIT
for unit in "$here"/systemd/*; do
  sed "s#/usr/bin/sopd#$binary#" "$unit" > "$work/$(basename "$unit")"
done
# The units' Documentation=man:… pages must resolve: verify reads them from the pages make man wrote.
for page in sopd.8 sopd.yaml.5; do
  test -f "$here/.build/man/$page" || { echo "no .build/man/$page: run make man first" >&2; exit 1; }
  install -D -m 0644 "$here/.build/man/$page" "$man/man${page##*.}/$page"
done
MANPATH="$man" systemd-analyze verify "$work"/*
echo "systemd-analyze verify: ok ($(cd "$work" && echo *))"
status=0
for service in "$work"/*.service; do
  line=$(systemd-analyze security --offline=true "$service" 2>/dev/null | grep 'Overall exposure level')
  score=$(echo "$line" | sed -E 's/.*: ([0-9.]+).*/\1/')
  echo "$(basename "$service"): exposure $score"
  if ! awk -v score="$score" 'BEGIN { exit !(score <= 2.0) }'; then
    echo "$(basename "$service"): exposure $score is above 2.0" >&2
    status=1
  fi
done
exit $status
