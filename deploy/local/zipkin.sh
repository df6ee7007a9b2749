#!/usr/bin/env bash
# Local trace UI: Zipkin's server (io.zipkin:zipkin-server, its `exec` jar, Apache-2.0) with
# in-memory storage, on 127.0.0.1:9411. The services export their spans to it (make run, the
# end-to-end tests: OTEL_EXPORTER_ZIPKIN_ENDPOINT); a trace opens at
# http://127.0.0.1:9411/zipkin/traces/<trace id>.
#
#   deploy/local/zipkin.sh start|stop|status     start waits until it answers
#   deploy/local/zipkin.sh launch                starts it without waiting (make test: the
#                                                JVM boots while the rest is set up)
#
# The jar (about 130 MB) is resolved once with Maven into a cache shared by all clones; logs
# live in the clone's git-ignored .local folder. Spans are kept in memory only (the newest
# SEND_ZIPKIN_MAX_SPANS), so a restart forgets them.
# Environment:
#   SEND_ZIPKIN_PORT          port (default 9411); anything already serving there is reused
#   SEND_ZIPKIN_MAX_SPANS     spans kept (default 50000)
#   SEND_ZIPKIN_START_TIMEOUT readiness wait in seconds (default 120)
#   SEND_LOCAL_DIR, SEND_CACHE_DIR, JAVA_HOME as for kafka.sh
set -euo pipefail

LOG_TAG=zipkin
# shellcheck source=deploy/local/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

ZIPKIN_VERSION=3.5.1
ZIPKIN_HOST=127.0.0.1
ZIPKIN_PORT=${SEND_ZIPKIN_PORT:-9411}
JAR_DIR=$SEND_CACHE_DIR/zipkin-$ZIPKIN_VERSION
JAR=$JAR_DIR/zipkin-server-$ZIPKIN_VERSION-exec.jar
ZIPKIN_DIR=$SEND_LOCAL_DIR/zipkin
PID_FILE=$ZIPKIN_DIR/zipkin.pid
OUT=$ZIPKIN_DIR/zipkin.out
START_TIMEOUT=${SEND_ZIPKIN_START_TIMEOUT:-120}
MIN_JAVA=17
JAVA_FOR="Zipkin $ZIPKIN_VERSION"

# Resolves the jar into a temporary folder and renames it into place, so an interrupted
# download never looks complete.
ensure_jar() {
  [[ -s $JAR ]] && return 0
  if ! command -v mvn >/dev/null 2>&1; then
    is_root && apt_install maven || die "Maven (mvn) is needed once to download Zipkin's server into $JAR_DIR"
  fi
  local start tmp
  start=$(now)
  mkdir -p "$(dirname -- "$JAR_DIR")"
  tmp=$(mktemp -d "$JAR_DIR.tmp.XXXXXX")
  log "resolving io.zipkin:zipkin-server:$ZIPKIN_VERSION (exec jar, ~130 MB) with Maven into $JAR_DIR (once)"
  if ! JAVA_HOME=$JAVA_HOME_FOUND mvn -q -B dependency:copy \
    -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" \
    -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "mvn could not resolve Zipkin's server (see above)"
  fi
  rm -f "$tmp.log"
  rm -rf "$JAR_DIR"
  mv "$tmp" "$JAR_DIR"
  [[ -s $JAR ]] || die "Maven gave no $JAR"
  log "jar ready in $(elapsed_since "$start")s"
}

# Prints the pid if the pid file names a live Zipkin of this clone (the command line is
# checked: a recycled pid is not ours).
running_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(cat "$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$JAR"; then
    echo "$pid"
    return 0
  fi
  return 1
}

# True when /health answers 200 (its storage up): a real request, not an open port.
healthy() {
  # shellcheck disable=SC2016  # expanded in the inner shell
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET /health HTTP/1.0\r\nHost: %s\r\n\r\n" "$1" >&3 && head -n 1 <&3' \
    _ "$ZIPKIN_HOST" "$ZIPKIN_PORT" 2>/dev/null | grep -q ' 200'
}

wait_ready() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$OUT" >&2 || true
      rm -f "$PID_FILE"
      die "Zipkin exited during startup (log above, whole log in $OUT)"
    fi
    healthy && return 0
    sleep 0.5
  done
  tail -n 40 "$OUT" >&2 || true
  die "Zipkin not ready after ${START_TIMEOUT}s (pid $pid still running; stop it with: $0 stop)"
}

# Starts the server unless this clone's or another's already serves the port; prints the
# pid to wait for ("" when someone else's is reused).
launch() {
  local pid
  if pid=$(running_pid); then
    echo "$pid"
    return 0
  fi
  if port_open "$ZIPKIN_HOST" "$ZIPKIN_PORT"; then
    log "$ZIPKIN_HOST:$ZIPKIN_PORT is already serving (not started by this clone): reusing it"
    echo ""
    return 0
  fi
  find_java
  ensure_jar
  mkdir -p "$ZIPKIN_DIR"
  log "starting Zipkin $ZIPKIN_VERSION on $ZIPKIN_HOST:$ZIPKIN_PORT ($JAVA)"
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  rm -f "$PID_FILE"
  # A small heap and the client compiler: a developer's trace UI, not a production store.
  # 200,000 spans filled a 384 MB heap after 40 minutes of tests and Zipkin hung, answering
  # nothing: 50,000 spans in 768 MB, and an out-of-memory error ends the JVM (the next
  # start replaces it) rather than leaving a port that never answers.
  # Bound to the loopback address only. The inner shell writes its pid, then execs java.
  # shellcheck disable=SC2016  # $$ and $@ expand in the inner shell
  STORAGE_TYPE=mem MEM_MAX_SPANS=${SEND_ZIPKIN_MAX_SPANS:-50000} QUERY_PORT=$ZIPKIN_PORT \
    nohup "${launcher[@]}" bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    "$JAVA" -Xms64m -Xmx768m -XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -jar "$JAR" --armeria.ports[0].ip="$ZIPKIN_HOST" --armeria.ports[0].port="$ZIPKIN_PORT" \
    --armeria.ports[0].protocols=http \
    </dev/null >"$OUT" 2>&1 9>&- &
  local _
  for _ in $(seq 50); do
    [[ -s $PID_FILE ]] && break
    sleep 0.1
  done
  [[ -s $PID_FILE ]] || die "Zipkin did not start (see $OUT)"
  cat "$PID_FILE"
}

cmd_launch() {
  launch >/dev/null
}

cmd_start() {
  local start pid
  start=$(now)
  pid=$(launch)
  if [[ -n $pid ]]; then
    healthy || wait_ready "$pid"
    log "ready on http://$ZIPKIN_HOST:$ZIPKIN_PORT/zipkin/ (pid $pid) in $(elapsed_since "$start")s"
  elif ! healthy; then
    die "$ZIPKIN_HOST:$ZIPKIN_PORT answers, but not as Zipkin (GET /health); set SEND_ZIPKIN_PORT"
  fi
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"
    log "not running (or not started by this clone)"
    return 0
  fi
  log "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    log "running (pid $pid) on http://$ZIPKIN_HOST:$ZIPKIN_PORT/zipkin/"
  elif healthy; then
    log "http://$ZIPKIN_HOST:$ZIPKIN_PORT/zipkin/ is serving, but not a Zipkin started by this clone"
  else
    log "stopped"
    return 3
  fi
}

main() {
  local cmd=${1:-}
  case $cmd in
  start | stop | status | launch) ;;
  *)
    echo "usage: $0 start|stop|status|launch" >&2
    exit 2
    ;;
  esac
  [[ $cmd == status ]] || lock_service zipkin
  "cmd_$cmd"
}

main "$@"
