#!/usr/bin/env bash
# The LRS services as plain processes: start | stop | status. `server` is the gateway and the read routes on
# one port (the LRS endpoint); `query` serves the reads alone on its own port; `processor` consumes.
# Settings come from the environment (LRS_*; see the README), logs go to $LRS_DATA_DIR/log, pids to
# $LRS_DATA_DIR/run.
source "$(dirname "$0")/lib.sh"
SERVICES=(processor query server)

start_one() {
  local name=$1
  if is_running "$name"; then log "$name already running"; return 0; fi
  log "starting $name"
  nohup "$BIN_DIR/lrs-$name" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

start() {
  "$BIN_DIR/lrsctl" migrate >>"$LOG_DIR/migrate.log" 2>&1 || { cat "$LOG_DIR/migrate.log"; exit 1; }
  for s in "${SERVICES[@]}"; do start_one "$s"; done
  local ingest=${LRS_INGEST_ADDR:-127.0.0.1:8080} query=${LRS_QUERY_ADDR:-127.0.0.1:8081} proc=${LRS_PROCESSOR_ADDR:-127.0.0.1:8082}
  wait_http "http://$proc/ready" 60 processor
  wait_http "http://$query/ready" 60 query
  wait_http "http://$ingest/ready" 60 server
}

stop() {
  # The gateway first (no new writes), the processor last (it drains what was accepted).
  stop_pid server 30
  stop_pid ingest 30 # a gateway started by an earlier version of this script
  stop_pid query 30
  stop_pid processor 60
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) for s in "${SERVICES[@]}"; do is_running "$s" && echo "$s: running (pid $(cat "$RUN_DIR/$s.pid"))" || echo "$s: stopped"; done ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
