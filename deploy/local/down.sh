#!/usr/bin/env bash
# Stops the local PostgreSQL and Kafka started by up.sh, and the Zipkin of zipkin.sh. Idempotent; stops
# only what this clone started. Data is kept (delete .local/ to reset).
#
#   deploy/local/down.sh
set -euo pipefail

LOG_TAG=down
# shellcheck source=deploy/local/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

# Both are attempted even if the first fails.
rc=0
bash "$LOCAL_SCRIPT_DIR/kafka.sh" stop || rc=1
bash "$LOCAL_SCRIPT_DIR/postgres.sh" stop || rc=1
bash "$LOCAL_SCRIPT_DIR/zipkin.sh" stop || rc=1
exit "$rc"
