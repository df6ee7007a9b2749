#!/usr/bin/env bash
# Starts the local infrastructure (Kafka, and PostgreSQL's two clusters: the
# tests' fast one and the durable one of make run, bench and soak) in parallel
# and prints where it listens. Idempotent: whatever already runs is reused.
# Topics are not created here; the Python side does that after `up`.
#
#   deploy/local/up.sh
#
# Honours the environment of postgres.sh and kafka.sh (SEND_PG_PORT,
# SEND_PG_DURABLE_PORT, SEND_LOCAL_DIR, SEND_CACHE_DIR, KAFKA_BOOTSTRAP_SERVERS,
# SEND_DATABASE_EXTERNAL, *_DATABASE_URL, JAVA_HOME, ...).
set -euo pipefail

LOG_TAG=up
# shellcheck source=deploy/local/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

# Runs one service script with its output prefixed, so parallel output stays
# readable; pipefail makes the pipeline report the script's exit status.
run_prefixed() {
  local name=$1
  shift
  "$@" 2>&1 | sed -u "s/^/[$name] /"
}

start=$(now)
run_prefixed postgres bash "$LOCAL_SCRIPT_DIR/postgres.sh" start tests &
pg_job=$!
run_prefixed postgres-durable bash "$LOCAL_SCRIPT_DIR/postgres.sh" start durable &
pg_durable_job=$!
run_prefixed kafka bash "$LOCAL_SCRIPT_DIR/kafka.sh" start &
kafka_job=$!

failed=()
wait "$pg_job" || failed+=(postgres)
wait "$pg_durable_job" || failed+=(postgres-durable)
wait "$kafka_job" || failed+=(kafka)
if ((${#failed[@]})); then
  die "failed to start: ${failed[*]} (see above; stop the rest with deploy/local/down.sh)"
fi

pg_port=${SEND_PG_PORT:-55432}
pg_durable_port=${SEND_PG_DURABLE_PORT:-55433}
echo
echo "Local infrastructure is up ($(elapsed_since "$start")s):"
if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then
  echo "  Kafka bootstrap:  $KAFKA_BOOTSTRAP_SERVERS (external)"
else
  echo "  Kafka bootstrap:  127.0.0.1:9092"
fi
# As postgres.sh decides: SEND_DATABASE_EXTERNAL=1 or any non-empty *_DATABASE_URL.
external_db=${SEND_DATABASE_EXTERNAL:-}
for var in $(compgen -v); do
  [[ $var == *_DATABASE_URL && -n ${!var:-} ]] && external_db=1
done
# The databases themselves are created by `make migrate`, one per service in
# shared/services.py; the registry gives the names when the venv exists.
venv_python=$REPO_ROOT/.venv/bin/python
if [[ $external_db == 1 ]]; then
  echo "  PostgreSQL:       external (SEND_DATABASE_EXTERNAL / *_DATABASE_URL)"
elif [[ -x $venv_python ]] && databases=$(cd "$REPO_ROOT" && "$venv_python" -m shared.services); then
  echo "  PostgreSQL, durable (make run, bench, soak): 127.0.0.1:$pg_durable_port"
  for db in $databases; do
    printf '  PostgreSQL %-14s postgresql://send:send@127.0.0.1:%s/%s\n' "$db:" "$pg_durable_port" "$db"
  done
  echo "  PostgreSQL, tests' (make test; fsync off): 127.0.0.1:$pg_port"
else
  echo "  PostgreSQL, durable: postgresql://send:send@127.0.0.1:$pg_durable_port/<service> (databases: make migrate-durable)"
  echo "  PostgreSQL, tests':  postgresql://send:send@127.0.0.1:$pg_port (make test; fsync off; databases: make migrate)"
fi
echo "  State: $SEND_LOCAL_DIR   Stop: deploy/local/down.sh"
