#!/usr/bin/env bash
# Prometheus (Debian's package) scraping the local services with deploy/prometheus/: start | stop | status.
# Started by `make up` when LRS_PROMETHEUS=1; listens on LRS_PROMETHEUS_ADDR (127.0.0.1:9090).
source "$(dirname "$0")/lib.sh"
ADDR="${LRS_PROMETHEUS_ADDR:-127.0.0.1:9090}"

start() {
  if is_running prometheus; then log "prometheus already running"; return 0; fi
  command -v prometheus >/dev/null 2>&1 || { log "prometheus is not installed (LRS_PROMETHEUS=1 make up installs it)"; exit 1; }
  mkdir -p "$DATA_DIR/prometheus"
  log "starting prometheus on $ADDR"
  nohup prometheus --config.file="$ROOT/deploy/prometheus/prometheus.yml" \
    --storage.tsdb.path="$DATA_DIR/prometheus" --web.listen-address="$ADDR" \
    >"$LOG_DIR/prometheus.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/prometheus.pid"
  wait_http "http://$ADDR/-/ready" 60 prometheus
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid prometheus 30 ;;
  status) is_running prometheus && echo "prometheus: running (pid $(cat "$RUN_DIR/prometheus.pid"))" || echo "prometheus: stopped" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
