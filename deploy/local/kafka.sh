#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft) without Docker.
#
#   deploy/local/kafka.sh start|stop|status
#
# Jars come from Maven (deploy/local/kafka/pom.xml) into a cache shared by
# all clones; data and logs live in the clone's git-ignored .local folder.
# Environment:
#   KAFKA_BOOTSTRAP_SERVERS  non-empty: an external Kafka is used, do nothing
#   SEND_LOCAL_DIR           runtime state   (default <repo>/.local)
#   SEND_CACHE_DIR           jar cache       (default ~/.cache/send-platform)
#   SEND_KAFKA_PORT          client listener port     (default 9092)
#   SEND_KAFKA_CONTROLLER_PORT KRaft controller port  (default 9093)
#                            With SEND_LOCAL_DIR, these start a second, isolated
#                            broker beside the usual one (e.g. to measure it).
#   SEND_KAFKA_START_TIMEOUT readiness wait in seconds (default 90)
#   SEND_KAFKA_JAVA_OPTS     extra JVM options for the broker
#   JAVA_HOME                JDK to use (17 or newer)
set -euo pipefail

LOG_TAG=kafka
# shellcheck source=deploy/local/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

KAFKA_CONF_SRC=$LOCAL_SCRIPT_DIR/kafka
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_CONF_SRC/pom.xml")
[[ -n $KAFKA_VERSION ]] || die "cannot read <kafka.version> from $KAFKA_CONF_SRC/pom.xml"

KAFKA_HOST=127.0.0.1
KAFKA_PORT=${SEND_KAFKA_PORT:-9092}
CONTROLLER_PORT=${SEND_KAFKA_CONTROLLER_PORT:-9093}
[[ $KAFKA_PORT =~ ^[0-9]+$ && $CONTROLLER_PORT =~ ^[0-9]+$ && $KAFKA_PORT != "$CONTROLLER_PORT" ]] ||
  die "SEND_KAFKA_PORT ($KAFKA_PORT) and SEND_KAFKA_CONTROLLER_PORT ($CONTROLLER_PORT) must be two different port numbers"
BOOTSTRAP=$KAFKA_HOST:$KAFKA_PORT
LIB_DIR=$SEND_CACHE_DIR/kafka-$KAFKA_VERSION/lib
# The marker holds a hash of pom.xml: a changed pom re-resolves the jars.
LIB_MARKER=$LIB_DIR/.complete
KAFKA_DIR=$SEND_LOCAL_DIR/kafka
DATA_DIR=$KAFKA_DIR/data
LOGS_DIR=$KAFKA_DIR/logs
PID_FILE=$KAFKA_DIR/kafka.pid
SERVER_PROPERTIES=$KAFKA_DIR/server.properties
START_TIMEOUT=${SEND_KAFKA_START_TIMEOUT:-90}
MIN_JAVA=17
JAVA_FOR="Kafka $KAFKA_VERSION"

# --- Jars -----------------------------------------------------------------

pom_hash() { sha256sum "$KAFKA_CONF_SRC/pom.xml" | cut -d' ' -f1; }

jars_ready() { [[ -f $LIB_MARKER && $(cat "$LIB_MARKER") == "$(pom_hash)" ]]; }

ensure_mvn() {
  command -v mvn >/dev/null 2>&1 && return 0
  if is_root && apt_install maven; then
    return 0
  fi
  die "Maven (mvn) is needed once to download the Kafka jars into $LIB_DIR; install it (apt-get install maven)"
}

# Resolves the jars into a temporary folder and renames it into place, so an
# interrupted download never looks complete and two clones resolving at the
# same time cannot mix their files.
ensure_jars() {
  jars_ready && return 0
  ensure_mvn
  local start tmp
  start=$(now)
  mkdir -p "$(dirname -- "$LIB_DIR")"
  tmp=$(mktemp -d "$LIB_DIR.tmp.XXXXXX")
  log "resolving Kafka $KAFKA_VERSION jars with Maven into $LIB_DIR (once per version)"
  if ! JAVA_HOME=$JAVA_HOME_FOUND mvn -q -B -f "$KAFKA_CONF_SRC/pom.xml" \
    dependency:copy-dependencies -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "mvn could not resolve the Kafka jars (see above)"
  fi
  rm -f "$tmp.log"
  pom_hash >"$tmp/.complete"
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
  log "jars ready in $(elapsed_since "$start")s ($(find "$LIB_DIR" -name '*.jar' | wc -l) jars)"
}

# Runs a Kafka tool class. No log4j2 file is given, so Log4j2 falls back to
# its default configuration (errors only, on the console).
kafka_tool() {
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$LIB_DIR/*" "$@"
}

# --- Process --------------------------------------------------------------

# Prints the broker pid if the pid file names a live broker of this clone.
# Checking the command line guards against a recycled pid.
running_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(cat "$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  if [[ -r /proc/$pid/cmdline ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$SERVER_PROPERTIES"; then
    echo "$pid"
    return 0
  fi
  return 1
}

render_config() {
  local template
  template=$(<"$KAFKA_CONF_SRC/server.properties.template")
  # Quoted replacements: no '&' expansion (bash 5.2 patsub_replacement).
  template=${template//@LOG_DIRS@/"$DATA_DIR"}
  template=${template//@PORT@/"$KAFKA_PORT"}
  template=${template//@CONTROLLER_PORT@/"$CONTROLLER_PORT"}
  printf '%s\n' "$template" >"$SERVER_PROPERTIES"
}

# Formats the KRaft storage on first start only. meta.properties is written
# last by the format tool, so its absence means nothing worth keeping.
ensure_storage() {
  [[ -f $DATA_DIR/meta.properties ]] && return 0
  local cluster_id
  rm -rf "$DATA_DIR"
  mkdir -p "$DATA_DIR"
  cluster_id=$(kafka_tool kafka.tools.StorageTool random-uuid)
  log "formatting storage in $DATA_DIR (cluster id $cluster_id)"
  # --standalone: this node is the only voter of a dynamic quorum, matching
  # controller.quorum.bootstrap.servers in server.properties.
  kafka_tool kafka.tools.StorageTool format --standalone \
    -t "$cluster_id" -c "$SERVER_PROPERTIES" >"$LOGS_DIR/format.log" 2>&1 || {
    cat "$LOGS_DIR/format.log" >&2
    die "storage format failed"
  }
}

# Prints what this start wrote to the logs: its ERROR/FATAL lines (the cause
# is often far above the tail) and then the last 40 lines.
show_logs() {
  local f=$LOGS_DIR/server.log
  # A size rollover may have restarted the file meanwhile.
  if [[ -s $f ]] && (($(wc -l <"$f") < ${LOG_START_LINE:-0})); then LOG_START_LINE=0; fi
  if [[ -s $f ]]; then
    echo "----- ERROR/FATAL lines of this start ($f) -----" >&2
    tail -n "+$((${LOG_START_LINE:-0} + 1))" "$f" | grep -E '^\[.*\] (ERROR|FATAL)|^Caused by' | tail -n 10 >&2 || true
    echo "----- last 40 lines of $f -----" >&2
    tail -n "+$((${LOG_START_LINE:-0} + 1))" "$f" | tail -n 40 >&2
  fi
  f=$LOGS_DIR/kafka.out
  if [[ -s $f ]]; then
    echo "----- $f -----" >&2
    tail -n 40 "$f" >&2
  fi
}

# Ready means a real request round trip: ApiVersions + Metadata through the
# admin client, and the broker reported unfenced.
broker_ready() {
  local out
  # Client-compiler-only, serial GC: a short-lived JVM starts faster.
  out=$(timeout 30 "$JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$LIB_DIR/*" \
    org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$BOOTSTRAP" 2>&1) || return 1
  [[ $out == *"$BOOTSTRAP"* && $out != *"isFenced: true"* ]]
}

wait_ready() {
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_logs
      rm -f "$PID_FILE"
      die "broker exited during startup (logs above, full logs in $LOGS_DIR)"
    fi
    # The cheap TCP check first: each probe is a JVM start.
    if port_open "$KAFKA_HOST" "$KAFKA_PORT" && broker_ready; then
      return 0
    fi
    sleep 0.5
  done
  show_logs
  die "broker not ready after ${START_TIMEOUT}s (pid $pid still running; stop it with: $0 stop)"
}

cmd_start() {
  local start pid
  start=$(now)
  if pid=$(running_pid); then
    # Another `up` may have just started it: wait until it really serves.
    if ! port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      log "already starting (pid $pid); waiting until it is ready"
      find_java
      wait_ready "$pid"
    fi
    log "already running (pid $pid) on $BOOTSTRAP"
    return 0
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    log "$BOOTSTRAP is already serving (not started by this clone): reusing it"
    return 0
  fi
  ensure_jars_and_java
  mkdir -p "$DATA_DIR" "$LOGS_DIR"
  render_config
  ensure_storage

  log "starting Kafka $KAFKA_VERSION ($JAVA, Java $(java_major "$JAVA"))"
  local launcher=() extra_opts=()
  read -r -a extra_opts <<<"${SEND_KAFKA_JAVA_OPTS:-}"
  # setsid: the broker leaves the caller's session and process group, so a
  # Ctrl-C in the terminal or a CI step ending does not kill it midway;
  # stop it with `kafka.sh stop` / down.sh.
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  rm -f "$PID_FILE"
  # server.log is appended across starts: remember where this one begins.
  LOG_START_LINE=0
  [[ -f $LOGS_DIR/server.log ]] && LOG_START_LINE=$(wc -l <"$LOGS_DIR/server.log")
  # The inner shell writes its own pid and then execs java, so the pid file
  # holds the java pid whether or not setsid had to fork.
  # Serial GC, with the thread counts in server.properties: measured on
  # brokers of their own under a platform-like load, round robin against the
  # G1 (MaxGCPauseMillis=20) it replaces, it took less CPU a message in each
  # of 8 pairs (3-40% less, median 11%; warm median 1.39 against 1.70 ms);
  # G1's concurrent work buys nothing on 2 shared cores (its pauses, and
  # Serial's, were not measured). Parallel GC and C1-only JIT
  # (-XX:TieredStopAtLevel=1: half the first minute's CPU, the C2 compiler's,
  # but more a message once warm) measured no better. Figures in
  # docs/benchmark.md, "The local Kafka broker's CPU a message".
  nohup "${launcher[@]}" bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    "$JAVA" -Xmx1g -Xms256m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dkafka.logs.dir="$LOGS_DIR" \
    -Dlog4j2.configurationFile="$KAFKA_CONF_SRC/log4j2.yaml" \
    "${extra_opts[@]}" \
    -cp "$LIB_DIR/*" kafka.Kafka "$SERVER_PROPERTIES" \
    </dev/null >"$LOGS_DIR/kafka.out" 2>&1 9>&- &
  local _
  for _ in $(seq 50); do
    [[ -s $PID_FILE ]] && break
    sleep 0.1
  done
  [[ -s $PID_FILE ]] || die "broker did not start (see $LOGS_DIR/kafka.out)"
  pid=$(cat "$PID_FILE")
  wait_ready "$pid"
  log "ready on $BOOTSTRAP (pid $pid) in $(elapsed_since "$start")s; logs in $LOGS_DIR"
}

ensure_jars_and_java() {
  # mvn may need installing first (on Debian it also brings a JDK).
  if ! jars_ready; then
    ensure_mvn
  fi
  find_java
  ensure_jars
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      log "not started by this clone; leaving the Kafka on $BOOTSTRAP alone"
    else
      log "not running"
    fi
    return 0
  fi
  log "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after 30s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    log "running (pid $pid) on $BOOTSTRAP; data $DATA_DIR"
  elif port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    log "$BOOTSTRAP is serving, but not a broker started by this clone"
  else
    log "stopped"
    return 3
  fi
}

main() {
  local cmd=${1:-}
  require_command "$cmd"
  if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]]; then
    log "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS is set: using that external Kafka, nothing to $cmd"
    return 0
  fi
  [[ $cmd == status ]] || lock_service kafka
  "cmd_$cmd"
}

main "$@"
