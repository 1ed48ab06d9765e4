# Shared by the deploy/local scripts: paths, pid files, waiting for ports.
# Everything lives under $LRS_DATA_DIR (default: <repo>/.data); caches live outside the clone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA_DIR="${LRS_DATA_DIR:-$ROOT/.data}"
RUN_DIR="$DATA_DIR/run"
LOG_DIR="$DATA_DIR/log"
CACHE_DIR="${LRS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lrs}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/local/kafka/pom.xml")"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE_DIR/target}"
BIN_DIR="$CARGO_TARGET_DIR/release"
mkdir -p "$RUN_DIR" "$LOG_DIR"

log() { printf '[lrs] %s\n' "$*" >&2; }

# is_running NAME: true when NAME's pid file names a live process.
is_running() {
  local pid_file="$RUN_DIR/$1.pid"
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

# wait_port HOST PORT SECONDS NAME
wait_port() {
  local host=$1 port=$2 secs=$3 name=$4 i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "$name did not open $host:$port within ${secs}s; see $LOG_DIR/$name.log"
  return 1
}

# wait_http URL SECONDS NAME: waits for a 200.
wait_http() {
  local url=$1 secs=$2 name=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" || true)" = 200 ]; then return 0; fi
    sleep 0.1
  done
  log "$name is not ready at $url after ${secs}s; see $LOG_DIR/$name.log"
  return 1
}

# stop_pid NAME [SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local name=$1 secs=${2:-30} pid i
  [ -f "$RUN_DIR/$name.pid" ] || return 0
  pid=$(cat "$RUN_DIR/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in ${secs}s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
    log "stopped $name"
  fi
  rm -f "$RUN_DIR/$name.pid"
}
