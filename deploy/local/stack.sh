#!/usr/bin/env bash
# The whole local LRS: up | down | status | infra-up | infra-down.
#   up          install what is missing, start Kafka, ClickHouse and the three services, print the endpoint
#   down        stop everything this script started (by pid)
#   infra-up    only Kafka and ClickHouse (what the tests need)
source "$(dirname "$0")/lib.sh"
HERE="$ROOT/deploy/local"

case "${1:-}" in
  up)
    "$HERE/install.sh"
    "$HERE/clickhouse.sh" start
    "$HERE/kafka.sh" start
    "$HERE/services.sh" start
    prom=""
    if [ "${LRS_PROMETHEUS:-0}" = 1 ]; then
      "$HERE/prometheus.sh" start
      prom="    prometheus:     http://${LRS_PROMETHEUS_ADDR:-127.0.0.1:9090}/alerts  (rules: deploy/prometheus/alerts.yml)
"
    fi
    cat <<MSG

  The LRS is up.
    xAPI endpoint:  ${LRS_PUBLIC_URL:-http://${LRS_INGEST_ADDR:-127.0.0.1:8080}}/xapi/
    credential:     key ${LRS_DEV_KEY:-lrs-dev}  secret ${LRS_DEV_SECRET:-lrs-dev-secret}  (HTTP Basic)
    admin API:      ${LRS_PUBLIC_URL:-http://127.0.0.1:8080}/admin/  key ${LRS_ADMIN_KEY:-lrs-admin}  secret ${LRS_ADMIN_SECRET:-lrs-admin-secret}
    reads only:     http://${LRS_QUERY_ADDR:-127.0.0.1:8081}/xapi/
    metrics:        http://${LRS_INGEST_ADDR:-127.0.0.1:8080}/metrics  http://${LRS_QUERY_ADDR:-127.0.0.1:8081}/metrics  http://${LRS_PROCESSOR_ADDR:-127.0.0.1:8082}/metrics
${prom}    logs:           $LOG_DIR
  Try:
    curl -u ${LRS_DEV_KEY:-lrs-dev}:${LRS_DEV_SECRET:-lrs-dev-secret} -H 'X-Experience-API-Version: 1.0.3' -H 'Content-Type: application/json' \\
      -d '{"actor":{"mbox":"mailto:alice@example.com"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.com/course"}}' \\
      ${LRS_PUBLIC_URL:-http://${LRS_INGEST_ADDR:-127.0.0.1:8080}}/xapi/statements
  Stop it with: make down
MSG
    ;;
  down)
    "$HERE/prometheus.sh" stop
    "$HERE/services.sh" stop
    "$HERE/kafka.sh" stop
    "$HERE/clickhouse.sh" stop
    ;;
  status)
    "$HERE/clickhouse.sh" status
    "$HERE/kafka.sh" status
    "$HERE/services.sh" status
    "$HERE/prometheus.sh" status
    ;;
  infra-up)
    LRS_SKIP_BUILD=1 "$HERE/install.sh"
    "$HERE/clickhouse.sh" start
    "$HERE/kafka.sh" start
    ;;
  infra-down)
    "$HERE/kafka.sh" stop
    "$HERE/clickhouse.sh" stop
    ;;
  *) echo "usage: $0 up|down|status|infra-up|infra-down" >&2; exit 2 ;;
esac
