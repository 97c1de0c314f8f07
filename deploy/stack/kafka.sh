#!/usr/bin/env bash
# kafka-stack.sh — run one Apache Kafka broker (KRaft combined mode: broker+controller) natively from
# the official jars on Maven Central. No Docker, no tarball download: `mvn` resolves
# org.apache.kafka:kafka_2.13 + a log4j2 SLF4J binding into a cache, and `java -cp` runs kafka.Kafka.
# Listens on 127.0.0.1 only.
#
# Usage: kafka-stack.sh up|down|status|restart|reset|logs
#   up      resolve jars (once), write config, format storage (once), start, wait until ready
#   down    SIGTERM via pid file, wait for exit (SIGKILL after $KAFKA_STOP_TIMEOUT s)
#   status  print state; exit 0 if running and answering, 3 if stopped
#   restart down + up (same data dir)
#   reset   down + delete the data dir (jars stay cached)
#   logs    tail the broker log
#
# Environment (all optional):
#   KAFKA_VERSION         default 4.4.0   (kafka_2.13 version on Maven Central)
#   KAFKA_CACHE           default ~/.cache/runlog/kafka       (jars + private maven repo)
#   KAFKA_STATE_DIR       default $KAFKA_CACHE/node-$KAFKA_PORT (config, data, logs, pid)
#   KAFKA_PORT            default 19092   (PLAINTEXT listener, 127.0.0.1)
#   KAFKA_CONTROLLER_PORT default KAFKA_PORT+1 (CONTROLLER listener, 127.0.0.1)
#   KAFKA_HEAP_OPTS       default "-Xms256m -Xmx512m"
#   KAFKA_AUTO_CREATE_TOPICS default false
#   KAFKA_EXTRA_PROPS     extra server.properties lines (newline separated), appended last
#   KAFKA_READY_TIMEOUT   default 90 (s);  KAFKA_STOP_TIMEOUT default 30 (s)
#   JAVA, MVN             override the java / mvn executables
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
LOG4J_VERSION="${LOG4J_VERSION:-2.25.5}"   # the log4j2 version kafka-server 4.4.0 itself declares
KAFKA_CACHE="${KAFKA_CACHE:-$HOME/.cache/runlog/kafka}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_STATE_DIR="${KAFKA_STATE_DIR:-$KAFKA_CACHE/node-$KAFKA_PORT}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_AUTO_CREATE_TOPICS="${KAFKA_AUTO_CREATE_TOPICS:-false}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"

HOST=127.0.0.1
LIBS="$KAFKA_CACHE/$KAFKA_VERSION/libs"
DATA="$KAFKA_STATE_DIR/data"
LOGS="$KAFKA_STATE_DIR/logs"
CONF="$KAFKA_STATE_DIR/server.properties"
LOG4J="$KAFKA_STATE_DIR/log4j2.properties"
PIDF="$KAFKA_STATE_DIR/kafka.pid"
VERF="$KAFKA_STATE_DIR/kafka.version"   # version of the running broker (for status)

T0=$(date +%s%N)
say() { printf '[kafka-stack %6.1fs] %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))e-3" "$*"; }
die() { say "ERROR: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# pid of our broker if alive (pid file + process is really our kafka.Kafka), else empty
running_pid() {
  [[ -f $PIDF ]] || return 0
  local pid; pid=$(<"$PIDF")
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
     tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONF"; then
    echo "$pid"
  fi
}

resolve_jars() {
  if [[ -f $LIBS/.complete ]]; then
    say "jars: cached ($(ls "$LIBS"/*.jar | wc -l) jars, kafka_2.13 $KAFKA_VERSION) in $LIBS"
    return
  fi
  command -v "$MVN" >/dev/null || die "mvn not found (needed once to resolve the Kafka jars)"
  mkdir -p "$KAFKA_CACHE/$KAFKA_VERSION"
  exec 9>"$KAFKA_CACHE/.resolve.lock"; flock 9          # two concurrent `up`s resolve once
  if [[ -f $LIBS/.complete ]]; then flock -u 9; resolve_jars; return; fi
  say "jars: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION + runtime deps with mvn (first run only)..."
  local pom="$KAFKA_CACHE/$KAFKA_VERSION/pom.xml"
  cat >"$pom" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>runlog.local</groupId><artifactId>kafka-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- Kafka logs through SLF4J 1.7.x; the jar has no binding. This is the log4j2 binding for SLF4J 1.x
         (NOT log4j-slf4j2-impl, which needs slf4j-api 2.x); it brings log4j-api and log4j-core. -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$LIBS.tmp"
  local t=$(date +%s%N)
  if ! "$MVN" -q -B -f "$pom" -Dmaven.repo.local="$KAFKA_CACHE/m2" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" \
        >"$KAFKA_CACHE/$KAFKA_VERSION/mvn.log" 2>&1; then
    tail -20 "$KAFKA_CACHE/$KAFKA_VERSION/mvn.log" >&2
    die "mvn could not resolve kafka_2.13:$KAFKA_VERSION (log: $KAFKA_CACHE/$KAFKA_VERSION/mvn.log)"
  fi
  rm -rf "$LIBS"; mv "$LIBS.tmp" "$LIBS"; touch "$LIBS/.complete"
  flock -u 9
  say "jars: resolved $(ls "$LIBS"/*.jar | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $(( ($(date +%s%N) - t) / 1000000 )) ms"
}

write_config() {
  mkdir -p "$DATA" "$LOGS"
  cat >"$CONF" <<EOF
# generated by kafka-stack.sh — rewritten on every 'up'
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS
num.network.threads=2
num.io.threads=4
# after an unclean exit (SIGKILL/OOM) the restarted node must wait until the controller expires the old
# incarnation's broker session (DuplicateBrokerRegistrationException until then): 9 s by default, 4 s here
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
${KAFKA_EXTRA_PROPS:-}
EOF
  cat >"$LOG4J" <<EOF
status = warn
shutdownHook = disable
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
}

jvm_opts() {  # fills JOPTS for a JVM with heap "$1"
  # shellcheck disable=SC2206
  JOPTS=($1 -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
         -Dkafka.logs.dir="$LOGS" -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*")
}

format_storage() {
  if [[ -f $DATA/meta.properties ]]; then
    say "storage: already formatted (cluster.id=$(sed -n 's/^cluster.id=//p' "$DATA/meta.properties"))"
    return
  fi
  # Kafka cluster ids are 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints).
  # Like Kafka's own Uuid.randomUuid, one starting with '-' is drawn again: the tool's argument parser would read it
  # as an option ("argument --cluster-id/-t: expected one argument"), and the broker would not start.
  local cid="-"
  while [[ $cid == -* ]]; do cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='); done
  say "storage: formatting $DATA (cluster.id=$cid)"
  jvm_opts "-Xmx256m"
  "$JAVA" "${JOPTS[@]}" kafka.tools.StorageTool format -t "$cid" -c "$CONF" \
    >"$LOGS/format.log" 2>&1 || { cat "$LOGS/format.log" >&2; die "storage format failed"; }
}

lock_state() {  # serialize up/down/reset on one state dir (fd 8; closed in the broker's process)
  mkdir -p "$KAFKA_STATE_DIR"; exec 8>"$KAFKA_STATE_DIR/.lock"; flock 8
}

cmd_up() {
  command -v "$JAVA" >/dev/null || die "java not found (Kafka 4.x needs Java 17+)"
  lock_state
  local pid; pid=$(running_pid)
  if [[ -n $pid ]]; then
    if port_open "$KAFKA_PORT"; then say "broker: already running (pid $pid) on $HOST:$KAFKA_PORT"; return 0; fi
    say "broker: pid $pid alive but port not open yet; waiting"
  else
    rm -f "$PIDF"
    port_open "$KAFKA_PORT" && die "$HOST:$KAFKA_PORT is already in use by another process"
    port_open "$KAFKA_CONTROLLER_PORT" && die "$HOST:$KAFKA_CONTROLLER_PORT is already in use by another process"
    resolve_jars
    write_config
    say "config: $CONF"
    format_storage
    touch "$LOGS/server.log"
    LOG_START=$(stat -c %s "$LOGS/server.log")   # readiness check only looks at this run's lines
    jvm_opts "$KAFKA_HEAP_OPTS"
    # setsid: own session, so the broker outlives this shell and a Ctrl-C in it; the wrapper writes its
    # own pid (== the java pid after exec) so the pid file is right even though we background it.
    setsid nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDF" \
      "$JAVA" "${JOPTS[@]}" kafka.Kafka "$CONF" </dev/null >>"$LOGS/kafka.out" 2>&1 8>&- 9>&- &
    echo "$KAFKA_VERSION" >"$VERF"
    for _ in $(seq 50); do [[ -s $PIDF ]] && break; sleep 0.1; done
    pid=$(<"$PIDF")
    say "broker: started java kafka.Kafka (pid $pid, $KAFKA_HEAP_OPTS), waiting for $HOST:$KAFKA_PORT"
  fi
  local deadline=$(( $(date +%s) + KAFKA_READY_TIMEOUT ))
  # ready = port answers and (if we started it) this run logged "Kafka Server started"
  until port_open "$KAFKA_PORT" && { [[ -z ${LOG_START:-} ]] ||
        tail -c +$((LOG_START + 1)) "$LOGS/server.log" 2>/dev/null | grep -q 'Kafka Server started'; }; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -30 "$LOGS/kafka.out" "$LOGS/server.log" >&2 || true
      rm -f "$PIDF"; die "broker exited during startup (logs: $LOGS)"
    fi
    (( $(date +%s) < deadline )) || die "broker not ready after ${KAFKA_READY_TIMEOUT}s (pid $pid, logs: $LOGS)"
    sleep 0.1
  done
  say "ready: kafka $(cat "$VERF" 2>/dev/null || echo "$KAFKA_VERSION") (KRaft broker+controller) at $HOST:$KAFKA_PORT (pid $pid, data $DATA)"
}

cmd_down() {
  lock_state
  local pid; pid=$(running_pid)
  if [[ -z $pid ]]; then rm -f "$PIDF"; say "broker: not running"; return 0; fi
  say "broker: sending SIGTERM to pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + KAFKA_STOP_TIMEOUT ))
  while kill -0 "$pid" 2>/dev/null; do
    if (( $(date +%s) >= deadline )); then
      say "broker: still alive after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  rm -f "$PIDF"
  say "broker: stopped"
}

cmd_status() {
  local pid; pid=$(running_pid)
  if [[ -n $pid ]] && port_open "$KAFKA_PORT"; then
    echo "running: kafka $(cat "$VERF" 2>/dev/null || echo "$KAFKA_VERSION") pid=$pid bootstrap=$HOST:$KAFKA_PORT controller=$HOST:$KAFKA_CONTROLLER_PORT state=$KAFKA_STATE_DIR"
    return 0
  elif [[ -n $pid ]]; then
    echo "starting: pid=$pid (port $KAFKA_PORT not answering yet) state=$KAFKA_STATE_DIR"; return 3
  fi
  echo "stopped: state=$KAFKA_STATE_DIR jars=$([[ -f $LIBS/.complete ]] && echo cached || echo missing) formatted=$([[ -f $DATA/meta.properties ]] && echo yes || echo no)"
  return 3
}

case "${1:-}" in
  up)      cmd_up ;;
  down)    cmd_down ;;
  status)  cmd_status ;;
  restart) cmd_down; cmd_up ;;
  reset)   cmd_down; rm -rf "$DATA" "$LOGS"; say "reset: removed $DATA and $LOGS" ;;
  logs)    exec tail -n "${2:-100}" -F "$LOGS/server.log" ;;
  *) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
