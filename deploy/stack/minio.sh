#!/usr/bin/env bash
# s3-stack.sh — local S3 server (MinIO, built from the Go module proxy) on 127.0.0.1 for tests.
#
#   s3-stack.sh up       build (if binary missing) + start + wait until healthy   (idempotent)
#   s3-stack.sh build    build the binary if it is missing (one build at a time per version, whatever S3_RUN_DIR)
#   s3-stack.sh prebuild start `build` in the background and return (npm test: it compiles while lint runs); does
#                        nothing when the binary is there, go is missing, or the tests will use another S3
#   s3-stack.sh down     SIGTERM the server, wait, SIGKILL after a timeout       (idempotent)
#   s3-stack.sh status   print state; exit 0 if running+healthy, 3 if stopped, 1 if unhealthy
#   s3-stack.sh env      print export lines for the S3_* variables (eval "$(s3-stack.sh env)")
#
# Everything lives under $S3_STACK_HOME (default ~/.cache/runlog/minio):
#   bin/<version>/minio   the built binary (cached; one dir per pinned version)
#   go/{mod,build}        private Go module + build cache used for the build (delete to save ~2-3 GB)
#   data/                 MinIO data dir (persists across down/up)
#   run/minio.{pid,log}   pid file and server log
#
# Overridable env: S3_STACK_HOME, MINIO_VERSION, S3_PORT (9100), S3_CONSOLE_PORT (9101),
#   S3_DATA_DIR, S3_RUN_DIR, S3_ACCESS_KEY, S3_SECRET_KEY, S3_READY_TIMEOUT (60s), S3_STOP_TIMEOUT (30s), GO (go)
set -euo pipefail

# MinIO publishes no semver tags the Go proxy accepts (its tags are RELEASE.YYYY-...), so the proxy
# only serves pseudo-versions. This is what `go list -m github.com/minio/minio@latest` resolved to.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION="${MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"

S3_STACK_HOME="${S3_STACK_HOME:-$HOME/.cache/runlog/minio}"
S3_PORT="${S3_PORT:-9100}"
S3_CONSOLE_PORT="${S3_CONSOLE_PORT:-9101}"
S3_DATA_DIR="${S3_DATA_DIR:-$S3_STACK_HOME/data}"
S3_ACCESS_KEY="${S3_ACCESS_KEY:-runlogadmin}"          # MinIO requires >= 3 chars
S3_SECRET_KEY="${S3_SECRET_KEY:-runlogadmin-secret}"   # MinIO requires >= 8 chars
S3_READY_TIMEOUT="${S3_READY_TIMEOUT:-60}"
S3_STOP_TIMEOUT="${S3_STOP_TIMEOUT:-30}"
GO="${GO:-go}"

BIN_DIR="$S3_STACK_HOME/bin/$MINIO_VERSION"
BIN="$BIN_DIR/minio"
RUN_DIR="${S3_RUN_DIR:-$S3_STACK_HOME/run}"
PID_FILE="$RUN_DIR/minio.pid"
LOG_FILE="$RUN_DIR/minio.log"
BUILD_LOG="$RUN_DIR/build.log"
HEALTH_URL="http://127.0.0.1:$S3_PORT/minio/health/live"

say() { printf '[s3-stack] %s\n' "$*"; }
die() { printf '[s3-stack] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

healthy() { curl -fsS -o /dev/null --max-time 2 "$HEALTH_URL" 2>/dev/null; }

# pid of our server if the pid file points at a live process running *our* binary, else nothing.
running_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid; pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse: the process must be a minio binary
  [[ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" == */minio ]] || return 1
  echo "$pid"
}

# Serialize up/down/build across concurrent invocations (e.g. two test runners calling `up` at once).
take_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/stack.lock"
  flock -w 900 9 || die "timed out waiting for $RUN_DIR/stack.lock"
}

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

build() {
  if [[ -x $BIN ]]; then say "binary cached: $BIN"; return 0; fi
  command -v "$GO" >/dev/null || die "go not found (needed to build $MINIO_MODULE@$MINIO_VERSION)"
  mkdir -p "$BIN_DIR"
  # Each test run has a run dir (and a stack.lock) of its own, but they all share the binary: one build at a time,
  # and whoever waited for it finds it built.
  exec 8>"$BIN_DIR/build.lock"
  flock -w 900 8 || die "timed out waiting for $BIN_DIR/build.lock"
  if [[ -x $BIN ]]; then exec 8>&-; say "binary built meanwhile: $BIN"; return 0; fi
  say "building $MINIO_MODULE@$MINIO_VERSION with $($GO env GOVERSION) (cold: ~4 min, ~1.2 GB of module downloads, ~1.5 GB RAM on 2 cores; log: $BUILD_LOG)"
  local t0; t0=$(now)
  local tmp; tmp=$(mktemp -d "$S3_STACK_HOME/bin/.tmp.XXXXXX")
  if ! env GOBIN="$tmp" \
         GOMODCACHE="$S3_STACK_HOME/go/mod" GOCACHE="$S3_STACK_HOME/go/build" \
         GOFLAGS=-buildvcs=false GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0 GOWORK=off \
         "$GO" install -modcacherw -trimpath -ldflags "-s -w" "$MINIO_MODULE@$MINIO_VERSION" >"$BUILD_LOG" 2>&1; then
    rm -rf "$tmp"
    tail -n 30 "$BUILD_LOG" >&2
    die "go install failed (full log: $BUILD_LOG)"
  fi
  mv -f "$tmp/minio" "$BIN"; rm -rf "$tmp"
  exec 8>&-
  say "built in $(since "$t0"): $BIN ($(du -h "$BIN" | cut -f1))"
}

# The integration setup picks containers when a Docker engine answers, and uses an S3 named in the environment:
# then nothing here is needed. (The setup asks Docker properly; a socket is enough of a hint to skip a prebuild.)
tests_use_native_s3() {
  [[ -z ${RUNLOG_S3_ENDPOINT:-} ]] || return 1
  case "${RUNLOG_TEST_ENGINES:-}" in
    native) return 0 ;;
    testcontainers) return 1 ;;
  esac
  [[ -z ${DOCKER_HOST:-} && ! -S /var/run/docker.sock && ! -S $HOME/.docker/run/docker.sock ]]
}

cmd_prebuild() {
  [[ -x $BIN ]] && return 0
  command -v "$GO" >/dev/null || return 0
  tests_use_native_s3 || return 0
  mkdir -p "$S3_STACK_HOME"
  say "building MinIO in the background while the rest goes on (log: $S3_STACK_HOME/prebuild.log)"
  # niced: Kafka and ClickHouse start on the same 2 cores while it compiles, within their readiness timeouts
  S3_RUN_DIR="$S3_STACK_HOME/prebuild" setsid nice -n 10 bash "$(readlink -f "$0")" build </dev/null >"$S3_STACK_HOME/prebuild.log" 2>&1 &
}

cmd_up() {
  local t_all; t_all=$(now)
  local pid
  if pid=$(running_pid); then
    if healthy; then say "already running (pid $pid) at http://127.0.0.1:$S3_PORT"; return 0; fi
    say "process $pid exists but not healthy yet; waiting"
  else
    rm -f "$PID_FILE"
    build
    port_busy "$S3_PORT" && die "port $S3_PORT is already in use by another process (set S3_PORT)"
    port_busy "$S3_CONSOLE_PORT" && die "port $S3_CONSOLE_PORT is already in use by another process (set S3_CONSOLE_PORT)"
    mkdir -p "$S3_DATA_DIR" "$RUN_DIR"
    say "starting minio on 127.0.0.1:$S3_PORT (console 127.0.0.1:$S3_CONSOLE_PORT), data $S3_DATA_DIR"
    # setsid: own session/process group so the caller's Ctrl-C / job control doesn't hit it.
    MINIO_ROOT_USER="$S3_ACCESS_KEY" MINIO_ROOT_PASSWORD="$S3_SECRET_KEY" \
    MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off \
      setsid "$BIN" server "$S3_DATA_DIR" \
        --address "127.0.0.1:$S3_PORT" --console-address "127.0.0.1:$S3_CONSOLE_PORT" \
        </dev/null >>"$LOG_FILE" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$PID_FILE"
  fi
  local t0; t0=$(now)
  local deadline=$(( $(date +%s) + S3_READY_TIMEOUT ))
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"; tail -n 30 "$LOG_FILE" >&2; die "minio exited during startup (log: $LOG_FILE)"
    fi
    (( $(date +%s) < deadline )) || { tail -n 30 "$LOG_FILE" >&2; die "not healthy after ${S3_READY_TIMEOUT}s (pid $pid still running; log: $LOG_FILE)"; }
    sleep 0.2
  done
  say "ready in $(since "$t0") (pid $pid): $HEALTH_URL -> 200"
  say "up (total $(since "$t_all")); credentials: S3_ACCESS_KEY=$S3_ACCESS_KEY S3_SECRET_KEY=$S3_SECRET_KEY"
}

cmd_down() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"; say "not running"; return 0
  fi
  say "stopping minio (pid $pid, SIGTERM)"
  local t0; t0=$(now)
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for (( i = 0; i < S3_STOP_TIMEOUT * 5; i++ )); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still alive after ${S3_STOP_TIMEOUT}s, SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$PID_FILE"
  say "stopped in $(since "$t0")"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    if healthy; then
      say "running (pid $pid) endpoint http://127.0.0.1:$S3_PORT console http://127.0.0.1:$S3_CONSOLE_PORT data $S3_DATA_DIR"
      return 0
    fi
    say "process running (pid $pid) but $HEALTH_URL not answering"; return 1
  fi
  say "stopped (binary: $([[ -x $BIN ]] && echo "cached at $BIN" || echo "not built"))"
  return 3
}

cmd_env() {
  cat <<EOF
export S3_ENDPOINT=127.0.0.1
export S3_PORT=$S3_PORT
export S3_ENDPOINT_URL=http://127.0.0.1:$S3_PORT
export S3_ACCESS_KEY=$S3_ACCESS_KEY
export S3_SECRET_KEY=$S3_SECRET_KEY
export S3_REGION=us-east-1
EOF
}

case "${1:-}" in
  up) take_lock; cmd_up ;;
  down) take_lock; cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  build) take_lock; build ;;
  prebuild) cmd_prebuild ;;
  *) echo "usage: $0 {up|down|status|env|build|prebuild}" >&2; exit 2 ;;
esac
