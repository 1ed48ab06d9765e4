#!/usr/bin/env bash
# make demo: starts the local LRS if it is not running, then loads a demo store with `lrsctl demo` (the real
# statements of ../shared/data plus a generated organisation; options pass through:
# DEMO_ARGS="--statements 1000000 --learners 2000 --months 12").
source "$(dirname "$0")/lib.sh"
if ! is_running server || ! is_running processor || ! is_running query; then
  "$ROOT/deploy/local/stack.sh" up
fi
(cd "$ROOT" && cargo build --release --bins --quiet)
exec "$BIN_DIR/lrsctl" demo ${DEMO_ARGS:-}
