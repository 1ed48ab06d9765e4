#!/usr/bin/env bash
# Installs what the local stack needs and is missing: ClickHouse (Debian), the Kafka jars (Maven Central),
# the dashboard's chart library (npm), Chromium for the browser test (Debian, tests only), and the release
# build of the LRS binaries. Idempotent.
source "$(dirname "$0")/lib.sh"

if ! command -v clickhouse-server >/dev/null 2>&1; then
  log "installing clickhouse-server and clickhouse-client from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq clickhouse-server clickhouse-client >"$LOG_DIR/apt.log" 2>&1 || { cat "$LOG_DIR/apt.log"; exit 1; }
fi
command -v curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq curl; }
command -v java >/dev/null 2>&1 || { log "java (17) is required"; exit 1; }

if [ ! -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  log "resolving Kafka $KAFKA_VERSION from Maven Central"
  rm -rf "$KAFKA_LIBS.tmp"
  mvn -q -B -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS.tmp"
  rm -rf "$KAFKA_LIBS" && mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
fi

# The dashboard's chart library, served by the query service itself (no CDN at run time).
if [ ! -f "$ROOT/web/node_modules/echarts/dist/echarts.min.js" ]; then
  if command -v npm >/dev/null 2>&1; then
    log "installing the dashboard's chart library from npm (web/package-lock.json)"
    (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error >"$LOG_DIR/npm.log" 2>&1) || { cat "$LOG_DIR/npm.log"; exit 1; }
  else
    log "npm not found: the dashboard will load without its charts (install Node.js and rerun)"
  fi
fi

# Headless Chromium for the dashboard's browser test (only when the tests ask: LRS_INSTALL_BROWSER=1).
if [ "${LRS_INSTALL_BROWSER:-0}" = 1 ] && ! command -v chromedriver >/dev/null 2>&1; then
  log "installing chromium and chromium-driver from Debian (browser tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >"$LOG_DIR/apt-chromium.log" 2>&1 || { cat "$LOG_DIR/apt-chromium.log"; exit 1; }
fi

# Prometheus and promtool: the alert rules' unit tests (make test) and the optional local Prometheus
# (LRS_PROMETHEUS=1 make up).
if { [ "${LRS_INSTALL_PROMETHEUS:-0}" = 1 ] || [ "${LRS_PROMETHEUS:-0}" = 1 ]; } && ! command -v promtool >/dev/null 2>&1; then
  log "installing prometheus (with promtool) from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq prometheus >"$LOG_DIR/apt-prometheus.log" 2>&1 || { cat "$LOG_DIR/apt-prometheus.log"; exit 1; }
fi

if [ "${LRS_SKIP_BUILD:-0}" != 1 ]; then
  log "building the LRS (release) into $CARGO_TARGET_DIR"
  (cd "$ROOT" && cargo build --release --bins --quiet)
fi
