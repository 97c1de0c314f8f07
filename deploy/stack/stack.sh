#!/usr/bin/env bash
# The distributed stack on this machine, without Docker: Apache Kafka (KRaft, from the Maven Central jars),
# MinIO (built from its Go module) and the ClickHouse HTTP interface served by chDB, on 127.0.0.1 only,
# downloads and builds cached under ~/.cache/runlog.
#   stack.sh up       start all three (first run: Kafka's jars ~10 s, MinIO build ~4 min), idempotent
#   stack.sh down     stop all three, idempotent
#   stack.sh status   say what runs; exit 0 only if all do
#   stack.sh env      the RUNLOG_* variables that point Runlog at this stack
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export KAFKA_PORT="${KAFKA_PORT:-19092}"
export S3_PORT="${S3_PORT:-9100}"
export S3_CONSOLE_PORT="${S3_CONSOLE_PORT:-9101}"
export CLICKHOUSE_PORT="${CLICKHOUSE_PORT:-8123}"

step() { printf '[stack] %s\n' "$*"; }

case "${1:-}" in
  up)
    step "1/3 Kafka (KRaft, one broker) on 127.0.0.1:$KAFKA_PORT"
    "$here/kafka.sh" up
    step "2/3 MinIO (S3) on 127.0.0.1:$S3_PORT"
    "$here/minio.sh" up
    step "3/3 ClickHouse over HTTP (chDB engine) on 127.0.0.1:$CLICKHOUSE_PORT"
    "$here/clickhouse.sh" up
    step "up; point Runlog at it with: eval \"\$(bash deploy/stack/stack.sh env)\""
    ;;
  down)
    step "stopping ClickHouse"
    "$here/clickhouse.sh" down
    step "stopping MinIO"
    "$here/minio.sh" down
    step "stopping Kafka"
    "$here/kafka.sh" down
    ;;
  status)
    rc=0
    "$here/kafka.sh" status || rc=1
    "$here/minio.sh" status || rc=1
    "$here/clickhouse.sh" status || rc=1
    exit $rc
    ;;
  env)
    eval "$("$here/minio.sh" env)"
    echo "export RUNLOG_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
    echo "export RUNLOG_S3_ENDPOINT=http://127.0.0.1:$S3_PORT"
    echo "export RUNLOG_S3_ACCESS_KEY=$S3_ACCESS_KEY"
    echo "export RUNLOG_S3_SECRET_KEY=$S3_SECRET_KEY"
    "$here/clickhouse.sh" env
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
