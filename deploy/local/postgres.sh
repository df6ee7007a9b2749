#!/usr/bin/env bash
# Local PostgreSQL clusters for development and tests, without Docker.
#
#   deploy/local/postgres.sh start|stop|status [tests|durable]   (default: tests)
#
# Two clusters of the same binaries, because fsync, synchronous_commit and
# full_page_writes belong to a whole cluster:
#   tests    127.0.0.1:${SEND_PG_PORT:-55432}, data in .local/postgres: `make test`.
#            All three off: a crash of the server (not of a client) can lose
#            or corrupt data, which tests never keep; the suite runs faster.
#   durable  127.0.0.1:${SEND_PG_DURABLE_PORT:-55433}, data in .local/postgres-durable:
#            `make run`, `make bench`, `make soak`. All three on, as production
#            runs: a referral answered 201 survives a crash of the server, and
#            the bench's figures are what a council's server would pay.
# Each has the role send (password send, CREATEDB, CREATEROLE for the tests'
# throwaway roles). Each service's database (one per entry of
# shared/services.py) is created by that role, when missing, by
# `python -m shared.migrations --create-database` (`make migrate`):
#   postgresql://send:send@127.0.0.1:55433/referrals
# Environment:
#   SEND_DATABASE_EXTERNAL=1 or any *_DATABASE_URL (REFERRALS_DATABASE_URL,
#   ...): do nothing
#   SEND_PG_PORT          the tests' cluster's TCP port on 127.0.0.1 (default 55432)
#   SEND_PG_DURABLE_PORT  the durable cluster's TCP port (default 55433)
#   SEND_LOCAL_DIR    runtime state (default <repo>/.local)
#   SEND_PG_BIN       folder with initdb/pg_ctl (default: newest
#                     /usr/lib/postgresql/*/bin, else PATH)
#
# Running as root: the server refuses to run as root, so initdb and pg_ctl
# run as the `postgres` OS user, which must own the data directory. If that
# user cannot reach <repo>/.local (e.g. a clone under /root, mode 0700), the
# cluster lives in /var/lib/send-platform/postgres[-durable]-<hash of the
# .local path> instead; `status` prints where.
set -euo pipefail

LOG_TAG=postgres
# shellcheck source=deploy/local/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

PG_HOST=127.0.0.1
SUPERUSER=postgres
APP_ROLE=send
APP_PASSWORD=send
# The role the services connect as: not the tables' owner and without BYPASSRLS, so
# PostgreSQL's row-level security keeps each council's rows to itself. Migrations run as send.
SERVICE_ROLE=send_app
SERVICE_PASSWORD=send_app
START_TIMEOUT=60

# --- Which cluster ---------------------------------------------------------

# Sets CLUSTER, PG_PORT, CLUSTER_DIR_NAME (its folder under .local) and DURABLE (on|off).
choose_cluster() {
  CLUSTER=${1:-tests}
  case $CLUSTER in
  tests)
    PG_PORT=${SEND_PG_PORT:-55432}
    CLUSTER_DIR_NAME=postgres
    DURABLE=off
    ;;
  durable)
    PG_PORT=${SEND_PG_DURABLE_PORT:-55433}
    CLUSTER_DIR_NAME=postgres-durable
    DURABLE=on
    ;;
  *)
    echo "usage: $0 start|stop|status [tests|durable]" >&2
    exit 2
    ;;
  esac
  LOG_TAG=$CLUSTER_DIR_NAME
  if [[ ${SEND_PG_PORT:-55432} == "${SEND_PG_DURABLE_PORT:-55433}" ]]; then
    die "SEND_PG_PORT and SEND_PG_DURABLE_PORT are both ${SEND_PG_PORT:-55432}: the tests' cluster and the durable one need a port each"
  fi
}

port_variable() {
  if [[ $CLUSTER == durable ]]; then echo SEND_PG_DURABLE_PORT; else echo SEND_PG_PORT; fi
}

# --- Locations and ownership ----------------------------------------------

# Stable short id of this clone's .local folder, for paths outside it.
local_id() { printf '%s' "$SEND_LOCAL_DIR" | sha256sum | cut -c1-12; }

# Sets PG_BASE (cluster folder), DATA_DIR, LOG_FILE, SOCKET_DIR and AS_OWNER
# (command prefix running a program as the cluster's OS owner).
setup_paths() {
  PG_BASE=$SEND_LOCAL_DIR/$CLUSTER_DIR_NAME
  AS_OWNER=()
  if is_root; then
    id -u postgres >/dev/null 2>&1 ||
      die "running as root, but there is no 'postgres' OS user to run the server (install the postgresql package, or run as a normal user)"
    AS_OWNER=(runuser -u postgres --)
    mkdir -p "$PG_BASE"
    chown postgres: "$PG_BASE"
    chmod 0700 "$PG_BASE"
    # Every parent must be traversable by postgres; a clone under /root is not.
    if ! runuser -u postgres -- test -w "$PG_BASE" 2>/dev/null; then
      local fallback
      fallback=/var/lib/send-platform/$CLUSTER_DIR_NAME-$(local_id)
      log "user postgres cannot reach $PG_BASE (a parent folder is not traversable); using $fallback"
      printf 'This clone'\''s PostgreSQL cluster lives in %s\n(the postgres OS user cannot reach this folder).\n' \
        "$fallback" >"$PG_BASE/WHERE-IS-THE-DATA.txt"
      PG_BASE=$fallback
      mkdir -p "$PG_BASE"
      chown postgres: "$PG_BASE"
      chmod 0700 "$PG_BASE"
    fi
  else
    mkdir -p "$PG_BASE"
    chmod 0700 "$PG_BASE"
  fi
  DATA_DIR=$PG_BASE/data
  LOG_FILE=$PG_BASE/postgres.log
  # A Unix socket path is limited to 107 bytes; deep clones fall back to /tmp.
  SOCKET_DIR=$PG_BASE/run
  if ((${#SOCKET_DIR} > 90)); then
    SOCKET_DIR=/tmp/send-pg-$(local_id)
    [[ $CLUSTER == tests ]] || SOCKET_DIR=/tmp/send-pg-$CLUSTER-$(local_id)
  fi
  mkdir -p "$SOCKET_DIR"
  if is_root; then chown postgres: "$SOCKET_DIR"; fi
  chmod 0700 "$SOCKET_DIR"
}

as_owner() {
  # cd /: the owner may not be able to read the caller's working directory.
  # 9>&-: the server must not inherit the start/stop lock (see common.sh).
  (cd / && "${AS_OWNER[@]}" "$@" 9>&-)
}

# --- Binaries ---------------------------------------------------------------

# Sets PG_BIN. Prefers the version the data directory was created with.
find_pg_bin() {
  PG_BIN=
  if [[ -n ${SEND_PG_BIN:-} ]]; then
    PG_BIN=$SEND_PG_BIN
  elif [[ -r ${DATA_DIR:-}/PG_VERSION && -x /usr/lib/postgresql/$(<"$DATA_DIR/PG_VERSION")/bin/pg_ctl ]]; then
    PG_BIN=/usr/lib/postgresql/$(<"$DATA_DIR/PG_VERSION")/bin
  else
    local dir
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
    if [[ -n $dir && -x $dir/pg_ctl ]]; then
      PG_BIN=$dir
    elif command -v pg_ctl >/dev/null 2>&1; then
      PG_BIN=$(dirname -- "$(command -v pg_ctl)")
    fi
  fi
  [[ -n $PG_BIN && -x $PG_BIN/pg_ctl && -x $PG_BIN/initdb ]]
}

ensure_pg_bin() {
  find_pg_bin && return 0
  if is_root && apt_install postgresql && find_pg_bin; then
    return 0
  fi
  die "PostgreSQL server binaries (initdb, pg_ctl) not found; install them (apt-get install postgresql) or set SEND_PG_BIN"
}

# psql from the server's bin folder, else the one on PATH. -X: no ~/.psqlrc.
psql_cmd() {
  local p=${PG_BIN:+$PG_BIN/psql}
  [[ -n $p && -x $p ]] || p=$(command -v psql) || {
    echo "psql not found" >&2
    return 1
  }
  "$p" -X -q -v ON_ERROR_STOP=1 "$@"
}

# --- Cluster ------------------------------------------------------------------

cluster_running() {
  [[ -f $DATA_DIR/PG_VERSION ]] && find_pg_bin &&
    as_owner "$PG_BIN/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1
}

init_cluster() {
  [[ -f $DATA_DIR/PG_VERSION ]] && return 0
  log "initdb in $DATA_DIR ($("$PG_BIN/postgres" --version))"
  rm -rf "$DATA_DIR"
  # --no-sync (no flush of the new files) only for the tests' cluster: the
  # durable one is durable from its first file on.
  local no_sync=(--no-sync)
  [[ $DURABLE == off ]] || no_sync=()
  # No superuser password: the superuser can only connect through the Unix
  # socket, whose folder only the cluster owner (and root) can enter.
  as_owner "$PG_BIN/initdb" -D "$DATA_DIR" -U "$SUPERUSER" -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 "${no_sync[@]}" --no-instructions \
    >"$PG_BASE/initdb.log" 2>&1 || {
    cat "$PG_BASE/initdb.log" >&2
    die "initdb failed"
  }
  # Our settings live in an included file rewritten on every start.
  echo "include_if_exists = 'send-local.conf'" | as_owner tee -a "$DATA_DIR/postgresql.conf" >/dev/null
}

# The three settings that make a commit survive a crash of the server (all
# reloadable: a running cluster of ours takes a change at the next start's reload).
durability_settings() {
  if [[ $DURABLE == on ]]; then
    cat <<EOF
# Durable cluster (make run, bench, soak): production durability, PostgreSQL's
# own defaults written out so that nothing earlier in the file turns them off.
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
  else
    cat <<EOF
# Tests' cluster: durability traded for speed. A crash of the server can lose
# or corrupt data; never use these settings for data you care about.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  fi
}

# Rewritten on every start so a changed port or socket folder applies. max_connections: at most
# 95 for `make run` or one `make bench` (each event service's two pools and its relay's own,
# the workspace's pool: docs/configuration.md, DB_POOL_MAX_SIZE; a bench's drain peaked at 30);
# the tests' pools open only the connections they use.
write_config() {
  as_owner tee "$DATA_DIR/send-local.conf" >/dev/null <<EOF
# Written by deploy/local/postgres.sh on every start: do not edit.
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$SOCKET_DIR'
unix_socket_permissions = 0700
max_connections = 200
$(durability_settings)
EOF
  as_owner tee "$DATA_DIR/pg_hba.conf" >/dev/null <<EOF
# Written by deploy/local/postgres.sh on every start: do not edit.
# TYPE  DATABASE  USER       ADDRESS        METHOD
# The socket folder is mode 0700, so only the cluster owner (and root) get here.
local   all       all                       trust
host    all       $APP_ROLE  127.0.0.1/32   scram-sha-256
host    all       $APP_ROLE  ::1/128        scram-sha-256
host    all       $SERVICE_ROLE  127.0.0.1/32   scram-sha-256
host    all       $SERVICE_ROLE  ::1/128        scram-sha-256
EOF
}

# Creates the role through the superuser socket. The databases are not made
# here: `make migrate` creates each service's as this role (CREATEDB), so the
# list of services lives in shared/services.py only.
ensure_role_as_superuser() {
  psql_cmd -h "$SOCKET_DIR" -p "$PG_PORT" -U "$SUPERUSER" -d postgres <<SQL
SELECT format('CREATE ROLE %I', '$APP_ROLE')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_ROLE') \\gexec
-- CREATEROLE: tests make throwaway roles (a member of the tables' owner must be refused).
ALTER ROLE $APP_ROLE WITH LOGIN CREATEDB CREATEROLE PASSWORD '$APP_PASSWORD';
SELECT format('CREATE ROLE %I', '$SERVICE_ROLE')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$SERVICE_ROLE') \\gexec
ALTER ROLE $SERVICE_ROLE WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB PASSWORD '$SERVICE_PASSWORD';
-- A test run drops its databases WITH (FORCE), ending the services' sessions in them.
SET client_min_messages = warning;
GRANT pg_signal_backend TO $APP_ROLE;
SQL
}

# On a server this script did not start: send must log in over TCP and hold
# CREATEDB (`make migrate` creates the missing databases as send).
check_app_role() {
  local can_create
  can_create=$(PGPASSWORD=$APP_PASSWORD PGCONNECT_TIMEOUT=5 psql_cmd -h "$PG_HOST" -p "$PG_PORT" \
    -U "$APP_ROLE" -d postgres -At -c "SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user") || return 1
  [[ $can_create == t ]] || {
    echo "role $APP_ROLE lacks CREATEDB" >&2
    return 1
  }
}

# The server's fsync, synchronous_commit and full_page_writes, e.g. "on on on".
server_durability() {
  PGPASSWORD=$APP_PASSWORD PGCONNECT_TIMEOUT=5 psql_cmd -h "$PG_HOST" -p "$PG_PORT" \
    -U "$APP_ROLE" -d postgres -At -F ' ' \
    -c "SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes')"
}

urls() {
  local by='`make migrate`'
  [[ $CLUSTER == tests ]] || by='`make migrate-durable`, which `make run` runs'
  log "  postgresql://$APP_ROLE:$APP_PASSWORD@$PG_HOST:$PG_PORT/<service> (created by $by)"
}

cmd_start() {
  local start
  start=$(now)
  setup_paths
  if cluster_running; then
    log "already running on $PG_HOST:$PG_PORT (data $DATA_DIR)"
    # A cluster started by an older checkout: bring its access rules and roles up to date.
    write_config
    find_pg_bin || true
    as_owner "$PG_BIN/pg_ctl" -D "$DATA_DIR" reload >/dev/null
    ensure_role_as_superuser
    return 0
  fi
  if port_open "$PG_HOST" "$PG_PORT"; then
    find_pg_bin || true
    log "$PG_HOST:$PG_PORT is already serving (not this clone's cluster): reusing it"
    if ! check_app_role 2>"$PG_BASE/reuse-error.log"; then
      cat "$PG_BASE/reuse-error.log" >&2
      die "cannot connect to the server on $PG_HOST:$PG_PORT as $APP_ROLE/$APP_PASSWORD with CREATEDB.
Stop that server, create role '$APP_ROLE' (LOGIN CREATEDB, password '$APP_PASSWORD') there, or pick another port with $(port_variable)."
    fi
    log "role $APP_ROLE can connect and create databases"
    local settings
    settings=$(server_durability)
    log "fsync, synchronous_commit, full_page_writes: $settings"
    # A server another clone started is reused, but never as the durable one unless it is.
    if [[ $DURABLE == on && $settings != "on on on" ]]; then
      die "the server on $PG_HOST:$PG_PORT is not durable (fsync, synchronous_commit, full_page_writes: $settings); make run, bench and soak need all three on.
Stop that server, turn them on there, or pick another port with $(port_variable)."
    fi
    return 0
  fi
  ensure_pg_bin
  init_cluster
  write_config
  log "starting on $PG_HOST:$PG_PORT (socket folder $SOCKET_DIR)"
  if ! as_owner "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$START_TIMEOUT" start >/dev/null; then
    tail -n 40 "$LOG_FILE" >&2 || true
    die "pg_ctl start failed (log: $LOG_FILE)"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until "$PG_BIN/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT"; do
    ((SECONDS < deadline)) || die "not accepting connections after ${START_TIMEOUT}s (log: $LOG_FILE)"
    sleep 0.5
  done
  ensure_role_as_superuser
  log "ready in $(elapsed_since "$start")s; fsync, synchronous_commit, full_page_writes: $(server_durability); databases:"
  urls
}

cmd_stop() {
  setup_paths
  if ! cluster_running; then
    log "not running (data $DATA_DIR)"
    return 0
  fi
  as_owner "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m fast -w -t 60 stop >/dev/null
  log "stopped"
}

cmd_status() {
  setup_paths
  if cluster_running; then
    log "running on $PG_HOST:$PG_PORT (data $DATA_DIR, log $LOG_FILE)"
    log "fsync, synchronous_commit, full_page_writes: $(server_durability)"
    urls
  elif port_open "$PG_HOST" "$PG_PORT"; then
    log "$PG_HOST:$PG_PORT is serving, but not this clone's cluster"
  else
    log "stopped (data $DATA_DIR)"
    return 3
  fi
}

# Any non-empty <SERVICE>_DATABASE_URL (the registry's naming) means the
# databases live elsewhere; no list of services is kept here.
external_databases() {
  [[ ${SEND_DATABASE_EXTERNAL:-} == 1 ]] && return 0
  local var
  for var in $(compgen -v); do
    [[ $var == *_DATABASE_URL && -n ${!var:-} ]] && return 0
  done
  return 1
}

main() {
  local cmd=${1:-}
  require_command "$cmd"
  choose_cluster "${2:-}"
  if external_databases; then
    log "external databases are used (SEND_DATABASE_EXTERNAL=1 or a *_DATABASE_URL is set): nothing to $cmd"
    return 0
  fi
  [[ $cmd == status ]] || lock_service "$CLUSTER_DIR_NAME"
  "cmd_$cmd"
}

main "$@"
