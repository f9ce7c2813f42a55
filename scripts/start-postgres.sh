#!/usr/bin/env bash
# Start a local PostgreSQL for the test suite and benchmarks. Idempotent: safe to run twice.
#
# - installs Debian's `postgresql` with apt-get when no cluster tooling is present (needs root);
# - starts the newest cluster (creating one when none exists);
# - sets the `postgres` role's password to 'postgres' (a throwaway test password, local only);
# - makes sure TCP connections on 127.0.0.1 authenticate by password (scram-sha-256).
#
# Then the tests' admin URL works: postgresql://postgres:postgres@127.0.0.1:5432/postgres
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

as_postgres() {
  if [ "$(id -u)" = "0" ]; then su postgres -s /bin/sh -c "$1"; else sudo -u postgres sh -c "$1"; fi
}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^${version} main$"; then
  pg_createcluster "$version" main >/dev/null
fi

hba="/etc/postgresql/${version}/main/pg_hba.conf"
rule="host    all             all             127.0.0.1/32            scram-sha-256"
if ! grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+(md5|scram-sha-256)' "$hba"; then
  # Prepend so it wins over any later, stricter rule for the same address.
  tmp="$(mktemp)"
  { echo "$rule"; cat "$hba"; } >"$tmp"
  cat "$tmp" >"$hba"
  rm -f "$tmp"
  reload=1
fi

status="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}')"
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" main start
elif [ "${reload:-0}" = "1" ]; then
  pg_ctlcluster "$version" main reload
fi

for _ in $(seq 1 30); do
  if as_postgres "pg_isready -q -h 127.0.0.1 -p 5432"; then break; fi
  sleep 0.5
done
as_postgres "psql -q -v ON_ERROR_STOP=1 -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
PGPASSWORD=postgres psql -q -h 127.0.0.1 -U postgres -d postgres -c 'SELECT 1' >/dev/null
echo "postgresql ${version} ready on 127.0.0.1:5432 (user postgres)"
