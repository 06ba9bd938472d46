#!/usr/bin/env bash
# Debezium change capture into the test Kafka broker, as production runs it: a Kafka Connect
# standalone worker (org.apache.kafka:connect-runtime) with the Debezium connector jars.
#
#   capture.sh start  <name> <connector.properties>...  starts worker <name> running these
#                                                        connectors and waits until each connector
#                                                        and its tasks are RUNNING and each one has
#                                                        finished (or skipped) its snapshot and
#                                                        started streaming
#   capture.sh stop   <name>                             stops the worker (offsets are flushed)
#   capture.sh kill   <name>                             kills the worker (SIGKILL): offsets since
#                                                        its last flush are lost, so the next start
#                                                        sends those changes again
#   capture.sh status <name>                             prints each connector's REST status;
#                                                        exit 3 when the worker does not run
#
# Each worker is its own JVM with its REST API on a free loopback port, and keeps its files under
# it/target/capture/<name>/: worker.properties, the connectors' properties, offsets (the
# standalone worker's offset file: a restart resumes from it instead of snapshotting again),
# connect.log. The worker flushes its offsets every CAPTURE_OFFSET_FLUSH_MS (default 1000) and when
# it stops.
# Records go to the broker of it/services.sh (its endpoints file) as <topic.prefix>.<schema>.<table>
# through org.apache.kafka.connect.json.JsonConverter (schemas.enable=true unless the connector
# properties set key/value.converter.schemas.enable). The classpath is resolved by Maven once and
# cached under it/target/capture/. Stopping the worker leaves a PostgreSQL slot in place (so that
# the next start resumes); drop it when done (or set slot.drop.on.stop=true for a one-off run).
set -euo pipefail

IT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT="$IT/target/capture"
ENDPOINTS="$IT/target/services/endpoints.properties"
pom_property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$IT/../pom.xml"; }
DEADLINE=${CAPTURE_DEADLINE_SECONDS:-90}

log() { printf '%s\n' "$*" >&2; }
die() { log "capture.sh: $*"; exit 1; }

classpath() {
  local kafka debezium jackson slf4j cp
  kafka=$(pom_property kafka.version)
  debezium=$(pom_property debezium.version)
  jackson=$(pom_property jackson.version)
  slf4j=$(pom_property slf4j.version)
  cp="$ROOT/classpath-$kafka-$debezium-$jackson-$slf4j"
  if [[ ! -s "$cp" ]]; then
    mkdir -p "$ROOT"
    cat >"$ROOT/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.tributary</groupId>
  <artifactId>capture-worker-classpath</artifactId>
  <version>1</version>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.fasterxml.jackson</groupId>
        <artifactId>jackson-bom</artifactId>
        <version>$jackson</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
POM
    for a in connect-api connect-json connect-runtime connect-transforms connect-file kafka-clients; do
      cat >>"$ROOT/pom.xml" <<POM
      <dependency>
        <groupId>org.apache.kafka</groupId>
        <artifactId>$a</artifactId>
        <version>$kafka</version>
      </dependency>
POM
    done
    cat >>"$ROOT/pom.xml" <<POM
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>connect-runtime</artifactId>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>connect-json</artifactId>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>$slf4j</version>
    </dependency>
    <dependency>
      <groupId>io.debezium</groupId>
      <artifactId>debezium-connector-postgres</artifactId>
      <version>$debezium</version>
    </dependency>
    <dependency>
      <groupId>io.debezium</groupId>
      <artifactId>debezium-connector-mariadb</artifactId>
      <version>$debezium</version>
    </dependency>
  </dependencies>
</project>
POM
    mvn -q -B -f "$ROOT/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
      -Dmdep.outputFile="$cp.tmp" >"$ROOT/classpath.log" 2>&1 \
      || die "resolving the Connect worker's classpath failed; log: $ROOT/classpath.log"
    mv "$cp.tmp" "$cp"
  fi
  cat "$cp"
}

port_free() { [[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]]; }

free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    if port_free "$p"; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

# The worker's pid if it is alive and is this worker (its command line names its directory).
live_pid() {
  local dir=$1 pid
  [[ -f "$dir/pid" ]] || return 1
  pid=$(tr -dc '0-9' <"$dir/pid")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/" || return 1
  echo "$pid"
}

# The pid of a worker this script has just started, while its process lives. Between the fork and
# the exec of java the process still carries this script's command line, so live_pid's check of the
# command line cannot be used yet.
started_pid() {
  local dir=$1 pid state
  pid=$(tr -dc '0-9' <"$dir/pid")
  [[ -n "$pid" ]] || return 1
  state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 1
  echo "$pid"
}

rest_status() {
  local dir=$1 connector=$2
  curl -fsS --max-time 5 "http://127.0.0.1:$(<"$dir/port")/connectors/$connector/status"
}

connector_names() { sed -n 's/^name=//p' "$1"/connector-*.properties; }

# Every connector RUNNING with every task RUNNING; a FAILED one stops the wait with its trace.
await_running() {
  local dir=$1 name
  for name in $(connector_names "$dir"); do
    await_connector "$dir" "$name"
  done
}

# Every connector streaming. A task is RUNNING as soon as its start() returned, before Debezium's
# snapshot has run: a row changed then is read by the snapshot (op r) instead of being streamed as
# the change it is, so the caller would see its own changes folded into the snapshot. Debezium's
# coordinator thread, named after the connector's topic.prefix, logs "Starting streaming" once the
# snapshot has ended (or was skipped on a restart); this worker's log shows thread names.
await_streaming() {
  local dir=$1 end=$((SECONDS + DEADLINE)) prefix
  for prefix in $(sed -n 's/^topic\.prefix=//p' "$dir"/connector-*.properties); do
    until grep -qF "connector-$prefix-change-event-source-coordinator] INFO io.debezium.pipeline.ChangeEventSourceCoordinator - Starting streaming" "$dir/connect.log"; do
      started_pid "$dir" >/dev/null || { tail -n 30 "$dir/connect.log" >&2; die "worker exited; log: $dir/connect.log"; }
      ((SECONDS < end)) || { tail -n 30 "$dir/connect.log" >&2; die "connector with topic.prefix $prefix not streaming within ${DEADLINE}s; log: $dir/connect.log"; }
      sleep 0.3
    done
  done
}

await_connector() {
  local dir=$1 name=$2 end=$((SECONDS + DEADLINE)) status
  while true; do
    started_pid "$dir" >/dev/null || { tail -n 30 "$dir/connect.log" >&2; die "worker $name exited; log: $dir/connect.log"; }
    if status=$(rest_status "$dir" "$name" 2>/dev/null); then
      if [[ "$status" == *'"FAILED"'* ]]; then
        log "$status"
        die "connector $name failed; log: $dir/connect.log"
      fi
      if [[ "$status" == *'"tasks":[{'* && "$status" != *'"UNASSIGNED"'* && "$status" != *'"PAUSED"'* \
        && "$(grep -o '"state":"[A-Z]*"' <<<"$status" | sort -u)" == '"state":"RUNNING"' ]]; then
        return
      fi
    fi
    ((SECONDS < end)) || { tail -n 30 "$dir/connect.log" >&2; die "connector $name not RUNNING within ${DEADLINE}s; log: $dir/connect.log"; }
    sleep 0.3
  done
}

cmd_start() {
  local name=$1 dir bootstrap port props i=0 t0=$SECONDS
  shift
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad name '$name'"
  for props in "$@"; do
    [[ -f "$props" ]] || die "no connector properties file $props"
    grep -q '^name=[A-Za-z0-9_.-]*$' "$props" || die "$props must set name= (letters, digits, _.-)"
  done
  [[ -f "$ENDPOINTS" ]] || die "no test servers ($ENDPOINTS); run it/services.sh start"
  dir="$ROOT/$name"
  mkdir -p "$dir"
  if live_pid "$dir" >/dev/null; then
    await_running "$dir"
    await_streaming "$dir"
    return
  fi
  bootstrap=$(sed -n 's/^kafka.bootstrap=//p' "$ENDPOINTS")
  port=$(free_port)
  echo "$port" >"$dir/port"
  rm -f "$dir"/connector-*.properties
  for props in "$@"; do
    i=$((i + 1))
    cp "$props" "$dir/connector-$i.properties"
  done
  cat >"$dir/worker.properties" <<PROPS
bootstrap.servers=$bootstrap
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.file.filename=$dir/offsets
offset.flush.interval.ms=${CAPTURE_OFFSET_FLUSH_MS:-1000}
listeners=http://127.0.0.1:$port
plugin.discovery=only_scan
PROPS
  local cp
  cp=$(classpath)
  setsid java -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -Dorg.slf4j.simpleLogger.showDateTime=true \
    -cp "$cp" org.apache.kafka.connect.cli.ConnectStandalone \
    "$dir/worker.properties" "$dir"/connector-*.properties </dev/null >"$dir/connect.log" 2>&1 &
  echo $! >"$dir/pid"
  await_running "$dir"
  await_streaming "$dir"
  log "capture $name streaming (pid $(<"$dir/pid"), REST 127.0.0.1:$port) in $((SECONDS - t0)) s"
}

# Sends signal $2 to pid $1 and waits up to 30 s for the process to end; status 1 if it did not.
signal_and_wait() {
  local pid=$1 signal=$2
  kill "-$signal" "$pid" 2>/dev/null || return 0
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  return 1
}

cmd_stop() {
  local name=$1 dir pid
  dir="$ROOT/$name"
  pid=$(live_pid "$dir") || return 0
  if signal_and_wait "$pid" TERM; then
    log "capture $name stopped"
  else
    log "capture $name did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

cmd_kill() {
  local name=$1 dir pid
  dir="$ROOT/$name"
  pid=$(live_pid "$dir") || die "worker $name does not run"
  signal_and_wait "$pid" KILL || die "worker $name (pid $pid) still runs 30 s after SIGKILL"
  log "capture $name killed"
}

cmd_status() {
  local name=$1 dir connector
  dir="$ROOT/$name"
  live_pid "$dir" >/dev/null || { echo "$name stopped"; return 3; }
  for connector in $(connector_names "$dir"); do
    rest_status "$dir" "$connector"
    echo
  done
}

case ${1:-} in
  start) (($# >= 3)) || die "usage: capture.sh start <name> <connector.properties>..."; shift; cmd_start "$@" ;;
  stop) (($# == 2)) || die "usage: capture.sh stop <name>"; cmd_stop "$2" ;;
  kill) (($# == 2)) || die "usage: capture.sh kill <name>"; cmd_kill "$2" ;;
  status) (($# == 2)) || die "usage: capture.sh status <name>"; cmd_status "$2" ;;
  *) die "usage: capture.sh start <name> <connector.properties>... | stop <name> | kill <name> | status <name>" ;;
esac
