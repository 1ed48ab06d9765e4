#!/usr/bin/env bash
# ClickHouse (Debian's clickhouse-server) as a plain process with the project's own config, HTTP on
# 127.0.0.1:${LRS_CLICKHOUSE_HTTP_PORT:-8123}: start | stop | status.
source "$(dirname "$0")/lib.sh"
HTTP_PORT="${LRS_CLICKHOUSE_HTTP_PORT:-8123}"
TCP_PORT="${LRS_CLICKHOUSE_TCP_PORT:-9000}"
CDIR="$DATA_DIR/clickhouse"

start() {
  if is_running clickhouse; then log "clickhouse already running"; return 0; fi
  mkdir -p "$CDIR/data" "$CDIR/tmp" "$CDIR/log" "$CDIR/user_files" "$CDIR/format_schemas"
  sed -e "s#@DATA@#$DATA_DIR#g" -e "s#@HTTP_PORT@#$HTTP_PORT#g" -e "s#@TCP_PORT@#$TCP_PORT#g" \
    "$ROOT/deploy/local/clickhouse/config.xml.template" >"$CDIR/config.xml"
  cp "$ROOT/deploy/local/clickhouse/users.xml" "$CDIR/users.xml"
  log "starting clickhouse on 127.0.0.1:$HTTP_PORT"
  nohup clickhouse-server --config-file="$CDIR/config.xml" >"$LOG_DIR/clickhouse.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/clickhouse.pid"
  wait_http "http://127.0.0.1:$HTTP_PORT/ping" 60 clickhouse
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid clickhouse 60 ;;
  status) is_running clickhouse && echo "clickhouse: running (pid $(cat "$RUN_DIR/clickhouse.pid"))" || echo "clickhouse: stopped" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
