#!/usr/bin/env bash
# A PostgreSQL streaming standby of the primary, for the read-replica tests
# and the benchmark: a second cluster directory made with `pg_basebackup -R`
# from the primary, served on another port, removed again on `stop`.
#
#   scripts/pg-standby.sh start PORT DIR [OWNER_PID]
#   scripts/pg-standby.sh stop DIR
#
# `start` first makes sure the primary allows it (idempotent, and only
# what is missing): WAL for replicas (`wal_level` of at least `replica`,
# WAL senders) and a pg_hba.conf entry letting `postgres` replicate from
# 127.0.0.1. Given OWNER_PID, a watchdog stops and removes the standby
# once that process has exited, however it ended (a test binary that
# panicked cleans up too).
#
# Environment: KPI_STANDBY_PRIMARY_HOST (127.0.0.1), KPI_STANDBY_PRIMARY_PORT
# (5432), KPI_STANDBY_USER (postgres), PG_BINDIR (the newest
# /usr/lib/postgresql/*/bin). Run as root (postgres itself runs as the
# `postgres` OS user) or as the `postgres` user.
set -euo pipefail

primary_host=${KPI_STANDBY_PRIMARY_HOST:-127.0.0.1}
primary_port=${KPI_STANDBY_PRIMARY_PORT:-5432}
user=${KPI_STANDBY_USER:-postgres}
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
script=$(readlink -f "$0")

die() { echo "pg-standby: $*" >&2; exit 1; }

# Runs a command as the postgres OS user.
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    die "run as root or as the postgres user"
  fi
}

primary_sql() {
  psql -X -q -At -h "$primary_host" -p "$primary_port" -U "$user" -d postgres -c "$1"
}

can_replicate() {
  psql -X -q -At "host=$primary_host port=$primary_port user=$user replication=true" \
    -c "IDENTIFY_SYSTEM;" >/dev/null 2>&1
}

# What the primary needs for a standby; changed only when missing.
prepare_primary() {
  primary_sql "SELECT 1" >/dev/null || die "the primary at $primary_host:$primary_port does not answer"
  local restart=no
  if [ "$(primary_sql "SHOW wal_level")" = minimal ]; then
    primary_sql "ALTER SYSTEM SET wal_level = replica" >/dev/null
    restart=yes
  fi
  if [ "$(primary_sql "SHOW max_wal_senders")" -lt 2 ]; then
    primary_sql "ALTER SYSTEM SET max_wal_senders = 10" >/dev/null
    restart=yes
  fi
  if [ $restart = yes ]; then
    # Both settings take effect only at a restart (Debian's cluster tools
    # when present).
    local version
    version=$(primary_sql "SHOW server_version_num" | cut -c1-2)
    if command -v pg_ctlcluster >/dev/null; then
      pg_ctlcluster "$version" main restart
    else
      as_postgres "$bindir/pg_ctl" -D "$(primary_sql "SHOW data_directory")" -w restart
    fi
  fi
  if ! can_replicate; then
    local hba
    hba=$(primary_sql "SHOW hba_file")
    local line="host replication $user 127.0.0.1/32 trust"
    if ! grep -qxF "$line" "$hba"; then
      # The file may not end with a newline.
      [ -z "$(tail -c 1 "$hba")" ] || echo >>"$hba"
      printf '%s\n' "# added by kpi-service scripts/pg-standby.sh" "$line" >>"$hba"
    fi
    primary_sql "SELECT pg_reload_conf()" >/dev/null
    sleep 0.2
    can_replicate || die "the primary refuses replication connections for $user from 127.0.0.1 (see $hba)"
  fi
}

start() {
  local port=$1 dir=$2 owner=${3:-}
  [ -x "$bindir/pg_basebackup" ] || die "no PostgreSQL binaries in $bindir (set PG_BINDIR)"
  prepare_primary
  stop "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  as_postgres "$bindir/pg_basebackup" -h "$primary_host" -p "$primary_port" -U "$user" \
    -D "$dir/data" -R -X stream --checkpoint=fast --no-sync
  # The settings a hot standby must not set below the primary's.
  local limits=""
  for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions max_locks_per_transaction; do
    limits+="$setting = $(primary_sql "SHOW $setting")"$'\n'
  done
  as_postgres tee "$dir/data/postgresql.conf" >/dev/null <<CONF
# kpi-service test standby of $primary_host:$primary_port
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
$limits
CONF
  as_postgres tee "$dir/data/pg_hba.conf" >/dev/null <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
  as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log" >&2; die "the standby did not start"; }
  local in_recovery
  in_recovery=$(psql -X -q -At -h 127.0.0.1 -p "$port" -U "$user" -d postgres -c "SELECT pg_is_in_recovery()")
  [ "$in_recovery" = t ] || die "the server on port $port is not a standby"
  if [ -n "$owner" ]; then
    # Detached from the caller's terminal and pipes: the caller may be
    # waiting for this script's output to end.
    nohup setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; '$script' stop '$dir'" \
      </dev/null >/dev/null 2>&1 &
  fi
  echo "standby of $primary_host:$primary_port on 127.0.0.1:$port ($dir)"
}

stop() {
  local dir=$1
  [ -n "$dir" ] && [ "$dir" != / ] || die "no directory given"
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) [ $# -ge 3 ] || die "usage: $0 start PORT DIR [OWNER_PID]"; start "$2" "$3" "${4:-}" ;;
  stop) [ $# -ge 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 start PORT DIR [OWNER_PID] | stop DIR" ;;
esac
