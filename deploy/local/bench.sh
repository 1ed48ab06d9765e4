#!/usr/bin/env bash
# make bench: starts the local LRS if it is not running, then drives it with `lrsctl bench` (options pass
# through: BENCH_ARGS="--statements 500000 --clients 16").
source "$(dirname "$0")/lib.sh"
if ! is_running server || ! is_running processor || ! is_running query; then
  "$ROOT/deploy/local/stack.sh" up
fi
(cd "$ROOT" && cargo build --release --bins --quiet)
exec "$BIN_DIR/lrsctl" bench ${BENCH_ARGS:-}
