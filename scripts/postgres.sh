#!/usr/bin/env bash
# A PostgreSQL server on loopback for test/postgres.test.ts: `scripts/postgres.sh start` installs
# Debian's postgresql if missing, starts a cluster and creates the densenode role and database,
# then prints the connection URL; `scripts/postgres.sh stop` stops the cluster again.
set -euo pipefail
url='postgres://densenode:densenode@127.0.0.1:5432/densenode'
version() { ls /usr/lib/postgresql | sort -V | tail -1; }
case "${1:-}" in
  start)
    if ! command -v pg_ctlcluster >/dev/null || [ ! -d /usr/lib/postgresql ]; then
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    v=$(version)
    pg_lsclusters -h | grep -q "^$v main" || pg_createcluster "$v" main >&2
    pg_ctlcluster "$v" main start >&2 || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
    su postgres -c "psql -q -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'densenode') THEN CREATE ROLE densenode LOGIN PASSWORD 'densenode'; END IF; END \\\$\\\$;\"" >&2
    su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname = 'densenode'\" | grep -q 1 || createdb -O densenode densenode" >&2
    echo "$url"
    ;;
  stop)
    pg_ctlcluster "$(version)" main stop || true
    ;;
  *)
    echo "usage: scripts/postgres.sh start|stop" >&2
    exit 2
    ;;
esac
