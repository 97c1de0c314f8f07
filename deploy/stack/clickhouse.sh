#!/usr/bin/env bash
# clickhouse.sh — the ClickHouse HTTP interface on 127.0.0.1, served by the chDB engine
# (services/chdb-server), so separate projector and gateway processes share one store. No current
# clickhouse-server can be installed on this machine (Debian ships 18.16; no Docker engine); chDB is the
# same engine. Needs `npm ci && npm run build` (the stack script builds when dist/ is missing).
#
#   clickhouse.sh up       start and wait until /ping answers (idempotent)
#   clickhouse.sh down     SIGTERM, SIGKILL after CLICKHOUSE_STOP_TIMEOUT s (idempotent)
#   clickhouse.sh status   exit 0 if running and answering, 3 if stopped
#   clickhouse.sh env      print RUNLOG_CLICKHOUSE_URL
#
# Environment: CLICKHOUSE_PORT (8123), CLICKHOUSE_STATE_DIR (~/.cache/runlog/clickhouse/node-$CLICKHOUSE_PORT:
#   data/, chdb.pid, chdb.log), CLICKHOUSE_READY_TIMEOUT (60), CLICKHOUSE_STOP_TIMEOUT (30).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
CLICKHOUSE_PORT="${CLICKHOUSE_PORT:-8123}"
CLICKHOUSE_STATE_DIR="${CLICKHOUSE_STATE_DIR:-$HOME/.cache/runlog/clickhouse/node-$CLICKHOUSE_PORT}"
CLICKHOUSE_READY_TIMEOUT="${CLICKHOUSE_READY_TIMEOUT:-60}"
CLICKHOUSE_STOP_TIMEOUT="${CLICKHOUSE_STOP_TIMEOUT:-30}"
PID_FILE="$CLICKHOUSE_STATE_DIR/chdb.pid"
LOG_FILE="$CLICKHOUSE_STATE_DIR/chdb.log"
MAIN="$root/dist/services/chdb-server/src/main.js"
# The Node the project pins (devDependency `node`), not whatever is on PATH.
NODE="$root/node_modules/.bin/node"
URL="http://127.0.0.1:$CLICKHOUSE_PORT"

say() { printf '[clickhouse] %s\n' "$*"; }
die() { printf '[clickhouse] ERROR: %s\n' "$*" >&2; exit 1; }
answering() { curl -fsS -o /dev/null --max-time 2 "$URL/ping" 2>/dev/null; }
running_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid; pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q chdb-server "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

cmd_up() {
  local pid t0=$SECONDS
  if pid=$(running_pid); then
    answering && { say "already running (pid $pid) at $URL"; return 0; }
  else
    [[ -x $NODE ]] || die "$NODE missing: run npm ci first"
    if [[ ! -f $MAIN ]]; then say "building (dist/ missing)"; (cd "$root" && npm run build --silent); fi
    mkdir -p "$CLICKHOUSE_STATE_DIR/data"
    say "starting chDB over HTTP on $URL, data $CLICKHOUSE_STATE_DIR/data"
    CHDB_SERVER_PATH="$CLICKHOUSE_STATE_DIR/data" CHDB_SERVER_PORT="$CLICKHOUSE_PORT" \
      setsid "$NODE" "$MAIN" </dev/null >>"$LOG_FILE" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"
  fi
  until answering; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$LOG_FILE" >&2; rm -f "$PID_FILE"; die "exited during start (log: $LOG_FILE)"; }
    (( SECONDS - t0 < CLICKHOUSE_READY_TIMEOUT )) || die "not answering after ${CLICKHOUSE_READY_TIMEOUT}s (log: $LOG_FILE)"
    sleep 0.2
  done
  say "ready in $(( SECONDS - t0 ))s (pid $pid): $URL/ping -> Ok."
}

cmd_down() {
  local pid i
  if ! pid=$(running_pid); then rm -f "$PID_FILE"; say "not running"; return 0; fi
  say "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < CLICKHOUSE_STOP_TIMEOUT * 5; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && { say "SIGKILL after ${CLICKHOUSE_STOP_TIMEOUT}s"; kill -KILL "$pid" 2>/dev/null || true; }
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    answering && { say "running (pid $pid) at $URL, data $CLICKHOUSE_STATE_DIR/data"; return 0; }
    say "process $pid runs but $URL/ping does not answer"; return 1
  fi
  say "stopped"; return 3
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) echo "export RUNLOG_CLICKHOUSE_URL=$URL" ;;
  *) echo "usage: $0 {up|down|status|env}" >&2; exit 2 ;;
esac
