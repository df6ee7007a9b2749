# shellcheck shell=bash
# Helpers shared by deploy/local/{kafka,postgres,up,down}.sh. Sourced, not run.

# Absolute paths that do not depend on the caller's working directory.
LOCAL_SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$LOCAL_SCRIPT_DIR/../.." && pwd -P)
# Runtime state (data, logs, pid files): per clone, git-ignored.
SEND_LOCAL_DIR=${SEND_LOCAL_DIR:-$REPO_ROOT/.local}
# Downloaded artefacts (Kafka jars, Zipkin's server): shared between runs and clones.
SEND_CACHE_DIR=${SEND_CACHE_DIR:-$HOME/.cache/send-platform}
export SEND_LOCAL_DIR SEND_CACHE_DIR

# LOG_TAG is set by each script (e.g. "kafka") to prefix its messages.
log() { printf '%s: %s\n' "${LOG_TAG:-local}" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "${LOG_TAG:-local}" "$*" >&2; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# True when something accepts TCP connections on host:port. Uses bash's
# /dev/tcp so it needs neither nc nor ss; `timeout` guards against
# filtered ports that would otherwise hang the connect.
port_open() {
  local host=$1 port=$2
  # shellcheck disable=SC2016  # $1/$2 expand in the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# Seconds since the epoch with millisecond precision, for timings.
now() { date +%s.%3N; }
elapsed_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

# apt-get install, only used as root on machines that lack a tool. Waits (up to 10 min) for
# another apt-get holding the lock rather than failing at once.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  log "installing $* with apt-get (missing on this machine)"
  export DEBIAN_FRONTEND=noninteractive
  local wait=(-o DPkg::Lock::Timeout=600)
  apt-get "${wait[@]}" update -qq &&
    apt-get "${wait[@]}" install -y -qq --no-install-recommends "$@" >/dev/null
}

# Serialises start/stop of one service within this clone, so two concurrent
# `up` runs (e.g. make -j) cannot both start a server. The lock is on fd 9;
# servers must be launched with 9>&- so they do not keep holding it.
lock_service() {
  mkdir -p "$SEND_LOCAL_DIR"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$SEND_LOCAL_DIR/.$1.lock"
  flock -w 300 9 || die "another $1 start/stop in this clone holds $SEND_LOCAL_DIR/.$1.lock"
}

# The start|stop|status command of kafka.sh and postgres.sh, or usage and exit 2.
require_command() {
  case ${1:-} in
  start | stop | status) ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
  esac
}

# --- Java -----------------------------------------------------------------

# Prints the major version of the given java binary ("1.8" -> 8).
java_major() {
  local spec
  spec=$("$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = //p') || true
  spec=${spec#1.}
  [[ $spec =~ ^[0-9]+$ ]] && echo "$spec"
}

# Sets JAVA (binary) and JAVA_HOME_FOUND, for a script that sets MIN_JAVA and JAVA_FOR
# (what needs it, for the messages). JAVA_HOME wins if set; then java on PATH if it is
# recent enough; then the oldest JDK >= MIN_JAVA in /usr/lib/jvm (the conservative choice:
# Kafka 4.x and Zipkin 3.x are built for and tested on 17).
find_java() {
  local candidate major best=0
  JAVA=
  if [[ -n ${JAVA_HOME:-} ]]; then
    candidate=$JAVA_HOME/bin/java
    [[ -x $candidate ]] || die "JAVA_HOME=$JAVA_HOME has no bin/java"
    major=$(java_major "$candidate") || major=0
    ((major >= MIN_JAVA)) ||
      die "JAVA_HOME=$JAVA_HOME is Java $major; $JAVA_FOR needs Java $MIN_JAVA or newer"
    JAVA=$candidate
  elif candidate=$(command -v java) && major=$(java_major "$candidate") && ((major >= MIN_JAVA)); then
    JAVA=$candidate
  else
    for candidate in /usr/lib/jvm/*/bin/java; do
      [[ -x $candidate ]] || continue
      major=$(java_major "$candidate") || continue
      if ((major >= MIN_JAVA)) && { [[ -z $JAVA ]] || ((major < best)); }; then
        JAVA=$candidate best=$major
      fi
    done
  fi
  [[ -n $JAVA ]] || die "no Java $MIN_JAVA or newer found (JAVA_HOME unset; none on PATH or in /usr/lib/jvm).
Install one (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME."
  JAVA_HOME_FOUND=$(dirname -- "$(dirname -- "$(readlink -f -- "$JAVA")")")
}
