#!/usr/bin/env bash
# Makes a PostgreSQL server on loopback ready for the tests of the PostgreSQL journal (make test runs this first):
# starts Debian's cluster (the postgresql package), creates the role sopd_test and a fresh database sopd_test, and
# writes their URL and password to .build/postgres-test/. Needs root, or a server named by SOPD_TEST_POSTGRES_URL
# (with SOPD_TEST_POSTGRES_PASSWORD) already set up; SOPD_TEST_POSTGRES=skip leaves those tests out.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build/postgres-test
mkdir -p "$out"
rm -f "$out/url" "$out/password"
if [ "${SOPD_TEST_POSTGRES:-}" = skip ] || [ -n "${SOPD_TEST_POSTGRES_URL:-}" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "The PostgreSQL journal's tests need a server: run make test as root (it starts Debian's postgresql on loopback)," >&2
  echo "or set SOPD_TEST_POSTGRES_URL=postgres://USER@127.0.0.1/DB and SOPD_TEST_POSTGRES_PASSWORD (a role that may create" >&2
  echo "schemas in DB), or SOPD_TEST_POSTGRES=skip to leave them out." >&2
  exit 1
fi
cluster=$(pg_lsclusters --no-header | awk 'NR == 1 { print $1 " " $2 }')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_createcluster "$version" main >/dev/null
  cluster="$version main"
fi
# shellcheck disable=SC2086
pg_ctlcluster $cluster status >/dev/null 2>&1 || pg_ctlcluster $cluster start
port=$(pg_lsclusters --no-header | awk -v c="$cluster" '$1 " " $2 == c { print $3 }')
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
as_postgres() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }
for _ in $(seq 1 50); do as_postgres -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
as_postgres >/dev/null <<SQL
SET client_min_messages = warning;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'sopd_test' AND pid <> pg_backend_pid();
DROP DATABASE IF EXISTS sopd_test;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sopd_test') THEN CREATE ROLE sopd_test LOGIN; END IF;
END \$\$;
ALTER ROLE sopd_test PASSWORD '$password';
CREATE DATABASE sopd_test OWNER sopd_test;
SQL
echo "postgres://sopd_test@127.0.0.1:$port/sopd_test?sslmode=disable" > "$out/url"
printf '%s' "$password" > "$out/password"
echo "PostgreSQL for the tests: $(cat "$out/url")"
