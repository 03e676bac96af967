#!/bin/sh
# The primary's side of the ha profile's standby: a replication user, its access, and
# synchronous commits once a standby follows.
set -e
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
  -c "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD 'replicator'"
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
cat >> "$PGDATA/postgresql.conf" <<CONF
wal_level = replica
max_wal_senders = 5
synchronous_standby_names = '*'
CONF
