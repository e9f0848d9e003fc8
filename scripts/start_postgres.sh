#!/usr/bin/env bash
# Install (Debian packages) and start a PostgreSQL server on loopback for the test suite, and
# print the URL the tests use: export SETU_TEST_POSTGRES_URL="$(scripts/start_postgres.sh)".
set -euo pipefail
log() { echo "$*" >&2; }
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  log "installing postgresql from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
  pg_createcluster "$ver" main >&2
fi
# loopback only
conf="/etc/postgresql/$ver/main/postgresql.conf"
grep -q "^listen_addresses = 'localhost'" "$conf" || echo "listen_addresses = 'localhost'" >> "$conf"
pg_ctlcluster "$ver" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
pg_isready -h 127.0.0.1 -q || { log "PostgreSQL did not start"; exit 1; }
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='setu'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE setu LOGIN CREATEDB CREATEROLE PASSWORD 'setu'\"" >&2
# tests drop their databases WITH (FORCE), which ends the role's own lingering connections
su postgres -c "psql -qc \"GRANT pg_signal_backend TO setu\"" >&2
# tests create a separate application role to check it cannot rewrite the audit log
su postgres -c "psql -qc \"ALTER ROLE setu CREATEROLE\"" >&2
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='setu_test'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE DATABASE setu_test OWNER setu\"" >&2
echo "postgresql+psycopg://setu:setu@127.0.0.1:5432/setu_test"
