#!/usr/bin/env bash
# The whole test suite: checks formatting and lints (clippy, warnings denied), installs what is missing,
# starts Kafka and ClickHouse if they are not running (and stops them again afterwards if it started them),
# builds, then runs every unit and end-to-end test.
source "$(dirname "$0")/lib.sh"
HERE="$ROOT/deploy/local"

started=()
cleanup() {
  local s
  for s in "${started[@]}"; do "$HERE/$s.sh" stop || true; done
}
trap cleanup EXIT

cd "$ROOT"
log "checking formatting (cargo fmt --check) and lints (cargo clippy, warnings denied)"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

LRS_SKIP_BUILD=1 LRS_INSTALL_BROWSER=1 LRS_INSTALL_PROMETHEUS=1 "$HERE/install.sh"
log "checking the Prometheus configuration and the alert rules' unit tests (promtool)"
promtool check config "$ROOT/deploy/prometheus/prometheus.yml"
promtool test rules "$ROOT/deploy/prometheus/alerts_test.yml"
for s in clickhouse kafka; do
  if ! is_running "$s"; then
    "$HERE/$s.sh" start
    started+=("$s")
  fi
done

cd "$ROOT"
log "building (debug) into $CARGO_TARGET_DIR"
cargo build --workspace --bins --quiet
export LRS_BIN_DIR="$CARGO_TARGET_DIR/debug"
export LRS_LOG_FORMAT=text RUST_LOG="${RUST_LOG:-warn}"
cargo test --workspace --no-fail-fast -- --test-threads="${LRS_TEST_THREADS:-2}" 2>&1 | tee "$LOG_DIR/test.log"
status=${PIPESTATUS[0]}
passed=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$LOG_DIR/test.log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -oE '[0-9]+ failed' "$LOG_DIR/test.log" | awk '{s+=$1} END {print s+0}')
echo "summary: $passed passed, $failed failed"
exit "$status"
