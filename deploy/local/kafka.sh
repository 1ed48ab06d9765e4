#!/usr/bin/env bash
# Apache Kafka in single-node KRaft mode on 127.0.0.1:${LRS_KAFKA_PORT:-9092}: start | stop | status.
# Storage is formatted on first start and kept under $LRS_DATA_DIR/kafka.
source "$(dirname "$0")/lib.sh"
PORT="${LRS_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${LRS_KAFKA_CONTROLLER_PORT:-9093}"
KDIR="$DATA_DIR/kafka"

start() {
  if is_running kafka; then log "kafka already running"; return 0; fi
  mkdir -p "$KDIR/data" "$KDIR/logs"
  sed -e "s#@DATA@#$DATA_DIR#g" -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
    "$ROOT/deploy/local/kafka/server.properties.template" >"$KDIR/server.properties"
  local java_opts=(-Xms256m "-Xmx${LRS_KAFKA_HEAP:-768m}" -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$ROOT/deploy/local/kafka/log4j2.properties" "-Dkafka.logs.dir=$KDIR/logs")
  if [ ! -f "$KDIR/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java -cp "$KAFKA_LIBS/*" "${java_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    log "formatting kafka storage (cluster $cluster_id)"
    java -cp "$KAFKA_LIBS/*" "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$KDIR/server.properties" >"$LOG_DIR/kafka-format.log" 2>&1 || { cat "$LOG_DIR/kafka-format.log"; exit 1; }
  fi
  log "starting kafka $KAFKA_VERSION on 127.0.0.1:$PORT"
  nohup java -cp "$KAFKA_LIBS/*" "${java_opts[@]}" kafka.Kafka "$KDIR/server.properties" \
    >"$LOG_DIR/kafka.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/kafka.pid"
  wait_port 127.0.0.1 "$PORT" 90 kafka
}

case "${1:-}" in
  start) start ;;
  stop) stop_pid kafka 60 ;;
  status) is_running kafka && echo "kafka: running (pid $(cat "$RUN_DIR/kafka.pid"))" || echo "kafka: stopped" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
