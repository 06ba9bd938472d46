#!/usr/bin/env bash
# Private servers for the integration tests and for trying the pipelines locally:
#   services.sh start|stop|status [service ...]      services: postgres mariadb redis kafka flink
#
# start   installs what is missing (Debian packages postgresql, mariadb-server, redis-server, curl,
#         and chromium and chromium-driver for the browser tests), then starts the named services
#         (all by default): PostgreSQL (wal_level=logical), MariaDB (ROW binlog), Redis, a
#         single-node Kafka KRaft broker, and a Flink session cluster (a JobManager and two
#         TaskManagers with two slots each, checkpoints and savepoints under its directory). Each
#         listens on a free loopback port, with data, logs, sockets and pid files under
#         it/target/services/<service>/; start waits until each answers and writes
#         it/target/services/endpoints.properties. Servers already running are reused, and a
#         TaskManager that died is started again.
# stop    stops the named services (all by default; safe when nothing runs).
# status  prints each one's state; exit status 0 when all named services run, 3 otherwise.
#
# Needs root (package installation; PostgreSQL and MariaDB run as the postgres and mysql users),
# Java 17 and Maven (the Kafka and Flink jars are resolved from Maven). System instances on the
# default ports are never used or touched. Users and databases: tributary / tributary, database
# tributary. The Flink cluster's REST address is flink.rest in endpoints.properties; submit to it
# with runners/bin/tributary (--flinkMaster=<flink.rest>) or runners/bin/flink.
set -euo pipefail

IT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT="$IT/target/services"
ENDPOINTS="$ROOT/endpoints.properties"
pom_property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$IT/../pom.xml"; }
KAFKA_VERSION=$(pom_property kafka.version)
FLINK_VERSION=$(pom_property flink.version)
SLF4J_VERSION=$(pom_property slf4j.version)
USER_NAME=tributary
USER_PASSWORD=tributary
DATABASE=tributary
DEADLINE=${SERVICES_DEADLINE_SECONDS:-60}
SERVICES=(postgres mariadb redis kafka flink)

log() { printf '%s\n' "$*" >&2; }
die() { log "services.sh: $*"; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# Installation

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
}

install_missing() {
  local packages=()
  [[ -n "$(pg_bin)" ]] || packages+=(postgresql)
  { command -v mariadbd && command -v mariadb-install-db && command -v mariadb-admin \
      && command -v mariadb; } >/dev/null || packages+=(mariadb-server)
  { command -v redis-server && command -v redis-cli; } >/dev/null || packages+=(redis-server)
  command -v curl >/dev/null || packages+=(curl)
  # Headless Chromium and its WebDriver for the dashboard's browser tests.
  [[ -x /usr/bin/chromium ]] || packages+=(chromium)
  [[ -x /usr/bin/chromedriver ]] || packages+=(chromium-driver)
  command -v java >/dev/null || die "java (17) is not installed"
  command -v mvn >/dev/null || die "mvn is not installed (it resolves the Kafka broker's jars)"
  if ((${#packages[@]})); then
    log "installing ${packages[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${packages[@]}" >&2
  fi
}

# ---------------------------------------------------------------------------------------------
# Ports and processes

port_free() { [[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]]; }

CHOSEN=" "
# A free loopback port below the kernel's ephemeral range, so that outgoing connections never
# take it between choosing and binding; random, so that several checkouts can run side by side.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    if [[ "$CHOSEN" != *" $p "* ]] && port_free "$p"; then
      CHOSEN+="$p "
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

# The port recorded for a server if it is still free, else a new one.
reuse_or_free_port() {
  local file=$1 p
  if [[ -f "$file" ]]; then
    p=$(<"$file")
    if [[ "$CHOSEN" != *" $p "* ]] && port_free "$p"; then
      CHOSEN+="$p "
      echo "$p"
      return
    fi
  fi
  free_port
}

# The pid in a pid file if that process is alive and is ours (its command line names our dir).
live_pid() {
  local file=$1 pid
  [[ -f "$file" ]] || return 1
  pid=$(head -n 1 "$file" | tr -dc '0-9')
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$ROOT/" || return 1
  echo "$pid"
}

# Waits until "$@" succeeds; on the deadline, fails naming the server and its log.
await() {
  local name=$1 logfile=$2 pidfile=$3
  shift 3
  local end=$((SECONDS + DEADLINE))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then
      tail -n 20 "$logfile" >&2 2>/dev/null || true
      die "$name did not answer within ${DEADLINE}s; log: $logfile"
    fi
    if [[ -n "$pidfile" && -f "$pidfile" ]] && ! live_pid "$pidfile" >/dev/null; then
      tail -n 20 "$logfile" >&2 2>/dev/null || true
      die "$name exited while starting; log: $logfile"
    fi
    sleep 0.2
  done
}

# Sends TERM, waits up to 30 s, then KILL.
terminate() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: runs as the postgres user (it refuses root).

PG_DIR="$ROOT/postgres"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
PG_PID="$PG_DATA/postmaster.pid"

pg_port() { cat "$PG_DIR/port"; }
pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$(pg_port)"; }
as_postgres() { runuser -u postgres -- "$@"; }

pg_sql() {
  as_postgres "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$(pg_port)" \
    -d postgres "$@"
}

start_postgres() {
  local bin
  bin=$(pg_bin)
  if live_pid "$PG_PID" >/dev/null; then
    await postgres "$PG_LOG" "$PG_PID" pg_ready
    return
  fi
  mkdir -p "$PG_DIR"
  chown postgres: "$PG_DIR"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    rm -rf "$PG_DATA"
    as_postgres "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=peer --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 \
      || die "initdb failed; log: $PG_DIR/initdb.log"
    cat >"$PG_DATA/pg_hba.conf" <<EOF
local   all          all                        peer
host    all          all          127.0.0.1/32  scram-sha-256
host    replication  all          127.0.0.1/32  scram-sha-256
EOF
    echo "include 'tributary.conf'" >>"$PG_DATA/postgresql.conf"
  fi
  reuse_or_free_port "$PG_DIR/port" >"$PG_DIR/port.new"
  mv "$PG_DIR/port.new" "$PG_DIR/port"
  # Throwaway test data: durability is traded for speed (fsync off).
  cat >"$PG_DATA/tributary.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $(pg_port)
unix_socket_directories = '$PG_DIR'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  chown postgres: "$PG_DATA/pg_hba.conf" "$PG_DATA/tributary.conf"
  as_postgres "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$DEADLINE" start >/dev/null \
    || die "postgres did not start; log: $PG_LOG"
  await postgres "$PG_LOG" "$PG_PID" pg_ready
  pg_sql <<EOF
SELECT 'CREATE ROLE $USER_NAME LOGIN REPLICATION CREATEDB PASSWORD ''$USER_PASSWORD'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') \gexec
SELECT 'CREATE DATABASE $DATABASE OWNER $USER_NAME'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE') \gexec
EOF
}

stop_postgres() {
  local pid
  pid=$(live_pid "$PG_PID") || return 0
  as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || terminate "$pid"
}

# ---------------------------------------------------------------------------------------------
# MariaDB: runs as the mysql user; root logs in through the unix socket only.

MY_DIR="$ROOT/mariadb"
MY_DATA="$MY_DIR/data"
MY_CNF="$MY_DIR/my.cnf"
MY_SOCK="$MY_DIR/mariadb.sock"
MY_PID="$MY_DIR/mariadb.pid"
MY_LOG="$MY_DIR/mariadb.log"

my_port() { cat "$MY_DIR/port"; }
my_ready() { mariadb-admin --no-defaults --socket="$MY_SOCK" -uroot ping; }

start_mariadb() {
  if live_pid "$MY_PID" >/dev/null; then
    await mariadb "$MY_LOG" "$MY_PID" my_ready
    return
  fi
  mkdir -p "$MY_DIR"
  chown mysql: "$MY_DIR"
  reuse_or_free_port "$MY_DIR/port" >"$MY_DIR/port.new"
  mv "$MY_DIR/port.new" "$MY_DIR/port"
  cat >"$MY_CNF" <<EOF
[mysqld]
user = mysql
bind-address = 127.0.0.1
port = $(my_port)
datadir = $MY_DATA
socket = $MY_SOCK
pid-file = $MY_PID
log-error = $MY_LOG
skip-name-resolve
server_id = 1
log_bin = $MY_DIR/binlog/mariadb-bin
binlog_format = ROW
binlog_row_image = FULL
innodb_buffer_pool_size = 64M
innodb_flush_log_at_trx_commit = 2
innodb_log_file_size = 16M
EOF
  mkdir -p "$MY_DIR/binlog"
  chown mysql: "$MY_DIR/binlog"
  if [[ ! -d "$MY_DATA/mysql" ]]; then
    rm -rf "$MY_DATA"
    mariadb-install-db --defaults-file="$MY_CNF" --auth-root-authentication-method=socket \
      --skip-test-db >"$MY_DIR/install-db.log" 2>&1 \
      || die "mariadb-install-db failed; log: $MY_DIR/install-db.log"
  fi
  rm -f "$MY_SOCK"
  setsid mariadbd --defaults-file="$MY_CNF" </dev/null >>"$MY_DIR/mariadbd.out" 2>&1 &
  echo $! >"$MY_PID"
  chown mysql: "$MY_PID"
  await mariadb "$MY_LOG" "$MY_PID" my_ready
  mariadb --no-defaults --socket="$MY_SOCK" -uroot <<EOF
CREATE USER IF NOT EXISTS '$USER_NAME'@'%' IDENTIFIED BY '$USER_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'%';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR,
  LOCK TABLES ON *.* TO '$USER_NAME'@'%';
CREATE DATABASE IF NOT EXISTS $DATABASE;
EOF
}

stop_mariadb() {
  local pid
  pid=$(live_pid "$MY_PID") || return 0
  mariadb-admin --no-defaults --socket="$MY_SOCK" -uroot shutdown >/dev/null 2>&1 || true
  terminate "$pid"
}

# ---------------------------------------------------------------------------------------------
# Redis

RD_DIR="$ROOT/redis"
RD_CONF="$RD_DIR/redis.conf"
RD_PID="$RD_DIR/redis.pid"
RD_LOG="$RD_DIR/redis.log"

rd_port() { cat "$RD_DIR/port"; }
rd_ready() { [[ "$(redis-cli -h 127.0.0.1 -p "$(rd_port)" ping)" == PONG ]]; }

start_redis() {
  if live_pid "$RD_PID" >/dev/null; then
    await redis "$RD_LOG" "$RD_PID" rd_ready
    return
  fi
  mkdir -p "$RD_DIR"
  reuse_or_free_port "$RD_DIR/port" >"$RD_DIR/port.new"
  mv "$RD_DIR/port.new" "$RD_DIR/port"
  # The process title names this file, so that the process can be told apart from others.
  cat >"$RD_CONF" <<EOF
bind 127.0.0.1
port $(rd_port)
save ""
appendonly no
daemonize yes
dir $RD_DIR
pidfile $RD_PID
logfile $RD_LOG
proc-title-template "{title} {listen-addr} {config-file}"
EOF
  rm -f "$RD_PID"
  redis-server "$RD_CONF" </dev/null >/dev/null 2>&1 || die "redis did not start; log: $RD_LOG"
  await redis "$RD_LOG" "" rd_ready
}

stop_redis() {
  local pid
  pid=$(live_pid "$RD_PID") || return 0
  redis-cli -h 127.0.0.1 -p "$(rd_port)" shutdown nosave >/dev/null 2>&1 || true
  terminate "$pid"
}

# ---------------------------------------------------------------------------------------------
# Kafka: a single-node KRaft broker (broker and controller in one JVM) from Maven's jars.

KF_DIR="$ROOT/kafka"
KF_PID="$KF_DIR/kafka.pid"
KF_LOG="$KF_DIR/server.log"
KF_PROPS="$KF_DIR/server.properties"
KF_CP="$KF_DIR/classpath-$KAFKA_VERSION-$SLF4J_VERSION"

kf_port() { cut -d' ' -f1 "$KF_DIR/port"; }

# What StorageTool random-uuid prints (16 random bytes, URL-safe base64, not starting with '-'),
# without starting a JVM for it.
cluster_id() {
  local id=-
  while [[ "$id" == -* ]]; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  echo "$id"
}

# Resolves the jars of group:artifact coordinates (all at one version) plus slf4j-simple with
# Maven, into a classpath file: maven_classpath <dir> <classpath file> <version> <group:artifact>...
maven_classpath() {
  local dir=$1 out=$2 version=$3 deps="" ga
  shift 3
  [[ -s "$out" ]] && return
  mkdir -p "$dir"
  for ga in "$@"; do
    deps+="<dependency><groupId>${ga%%:*}</groupId><artifactId>${ga#*:}</artifactId><version>$version</version></dependency>"
  done
  cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.tributary</groupId>
  <artifactId>$(basename "$dir")-classpath</artifactId>
  <version>1</version>
  <dependencies>
    $deps
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  mvn -q -B -f "$dir/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$out.tmp" >"$dir/classpath.log" 2>&1 \
    || die "resolving $* $version failed; log: $dir/classpath.log"
  mv "$out.tmp" "$out"
}

kafka_classpath() { maven_classpath "$KF_DIR" "$KF_CP" "$KAFKA_VERSION" org.apache.kafka:kafka_2.13; }

# A Metadata request (v4, all topics) over the wire: the broker lists itself only once it is
# registered and unfenced, i.e. ready for clients.
kf_metadata_lists_itself() {
  local port=$1 size reply
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  # size 23 | api_key 3 | version 4 | correlation 1 | client_id "services" | topics null | no auto-create
  printf '\x00\x00\x00\x17\x00\x03\x00\x04\x00\x00\x00\x01\x00\x08services\xff\xff\xff\xff\x00' >&3
  size=$(timeout 5 head -c 4 <&3 | od -An -tu4 --endian=big | tr -d ' ') || size=0
  reply=$(timeout 5 head -c "${size:-0}" <&3 | od -An -v -tx1 | tr -d ' \n') || true
  exec 3<&- 3>&-
  # a broker entry: node_id 1, host "127.0.0.1", our port
  [[ "$reply" == *"000000010009""3132372e302e302e31""$(printf '%08x' "$port")"* ]]
}

kf_ready() {
  grep -q 'Kafka Server started' "$KF_LOG" && kf_metadata_lists_itself "$(kf_port)"
}

start_kafka() {
  if live_pid "$KF_PID" >/dev/null; then
    await kafka "$KF_LOG" "$KF_PID" kf_ready
    return
  fi
  kafka_classpath
  local port="" cport=""
  read -r port cport 2>/dev/null <"$KF_DIR/port" || true
  if [[ -n "${port:-}" ]] && port_free "$port" && port_free "$cport" && [[ -f "$KF_DIR/data/meta.properties" ]]; then
    CHOSEN+="$port $cport "
  else
    # New ports change the controller's address: start from an empty log.
    port=$(free_port)
    cport=$(free_port)
    rm -rf "$KF_DIR/data"
  fi
  echo "$port $cport" >"$KF_DIR/port"
  cat >"$KF_PROPS" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KF_DIR/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
EOF
  # Test traffic is small: the client compiler and serial GC start faster and leave the CPU to
  # the tests on small machines.
  local jvm=(java -Xmx512m -Xms128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
    -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.defaultLogLevel=info
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"
    "-Dorg.slf4j.simpleLogger.logFile=$KF_LOG" -cp "$(<"$KF_CP")")
  if [[ ! -f "$KF_DIR/data/meta.properties" ]]; then
    "${jvm[@]}" kafka.tools.StorageTool format -t "$(cluster_id)" \
      -c "$KF_PROPS" >"$KF_DIR/format.log" 2>&1 \
      || die "formatting the Kafka log failed; log: $KF_DIR/format.log"
  fi
  : >"$KF_LOG"
  setsid "${jvm[@]}" kafka.Kafka "$KF_PROPS" </dev/null >"$KF_DIR/kafka.out" 2>&1 &
  echo $! >"$KF_PID"
  await kafka "$KF_LOG" "$KF_PID" kf_ready
}

stop_kafka() {
  local pid
  pid=$(live_pid "$KF_PID") || return 0
  terminate "$pid"
}

# ---------------------------------------------------------------------------------------------
# Flink: a session cluster (a JobManager and two TaskManagers, two slots each) from Maven's
# jars, started as Flink's own scripts start it: BashJavaUtils turns the configured process
# sizes into the JVM flags and memory properties of each process.

FL_DIR="$ROOT/flink"
FL_CONF="$FL_DIR/conf"
FL_CP="$FL_DIR/classpath-$FLINK_VERSION-$SLF4J_VERSION"
FL_TASKMANAGERS=${FLINK_TASKMANAGERS:-2}

# What a Flink distribution's configuration passes to every process on Java 17 (env.java.opts.all):
# Flink's serializers (Kryo) reach into the JDK's collections, e.g. when checkpointing them.
FL_JAVA17_OPENS=(--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED)

fl_port() { cut -d' ' -f1 "$FL_DIR/port"; }
fl_pidfile() { echo "$FL_DIR/$1.pid"; }
fl_log() { echo "$FL_DIR/log/$1.log"; }
fl_processes() { echo jobmanager; for i in $(seq "$FL_TASKMANAGERS"); do echo "taskmanager-$i"; done; }

flink_classpath() {
  maven_classpath "$FL_DIR" "$FL_CP" "$FLINK_VERSION" org.apache.flink:flink-runtime \
    org.apache.flink:flink-runtime-web org.apache.flink:flink-clients \
    org.apache.flink:flink-streaming-java org.apache.flink:flink-java
}

# Two TaskManagers registered with the JobManager, per its REST API.
fl_ready() {
  local n
  n=$(curl -sf --max-time 5 "http://127.0.0.1:$(fl_port)/overview" | sed -n 's/.*"taskmanagers":\([0-9]*\).*/\1/p')
  [[ "${n:-0}" -ge "$FL_TASKMANAGERS" ]]
}

fl_write_conf() {
  local rest=$1 rpc=$2
  mkdir -p "$FL_CONF" "$FL_DIR/log" "$FL_DIR/checkpoints" "$FL_DIR/savepoints" "$FL_DIR/web" "$FL_DIR/tmp"
  cat >"$FL_CONF/flink-conf.yaml" <<EOF
# Written by it/services.sh; the cluster's processes and the flink command read it.
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $rpc
jobmanager.bind-host: 127.0.0.1
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $rest
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
# Programs submitted through the REST API run their main() in the JobManager, each in a class
# loader of its own that Beam's static caches keep alive: room for many in the metaspace.
jobmanager.memory.process.size: 1600m
jobmanager.memory.jvm-metaspace.size: 768m
taskmanager.memory.process.size: 1600m
taskmanager.memory.jvm-metaspace.size: 384m
# Beam's pipelines keep state on the heap: little managed (off-heap) memory.
taskmanager.memory.managed.size: 64m
taskmanager.numberOfTaskSlots: 2
parallelism.default: 2
# Subtasks spread over the TaskManagers: a job of parallelism 2 runs on both, as on a real
# cluster, and losing either TaskManager fails it.
cluster.evenly-spread-out-slots: true
state.backend.type: hashmap
state.checkpoints.dir: file://$FL_DIR/checkpoints
state.savepoints.dir: file://$FL_DIR/savepoints
restart-strategy.type: fixed-delay
restart-strategy.fixed-delay.attempts: 1000
restart-strategy.fixed-delay.delay: 1 s
heartbeat.interval: 2000
heartbeat.timeout: 10000
# A TaskManager started again on a loaded 2-core machine can take more than the default 10 s to
# accept a restarted job's tasks (each deployment fails the job again): a longer RPC timeout.
pekko.ask.timeout: 30 s
web.upload.dir: $FL_DIR/web
io.tmp.dirs: $FL_DIR/tmp
classloader.check-leaked-classloader: false
EOF
}

# Starts one of the cluster's processes (jobmanager or taskmanager-N) unless it runs.
fl_start_process() {
  local name=$1 main utils extra out flags props
  live_pid "$(fl_pidfile "$name")" >/dev/null && return
  case $name in
    jobmanager) main=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint utils=GET_JM_RESOURCE_PARAMS extra="" ;;
    *) main=org.apache.flink.runtime.taskexecutor.TaskManagerRunner utils=GET_TM_RESOURCE_PARAMS
      extra="-D taskmanager.resource-id=$name" ;;
  esac
  out=$(java -cp "$(<"$FL_CP")" org.apache.flink.runtime.util.bash.BashJavaUtils "$utils" \
    --configDir "$FL_CONF" 2>"$FL_DIR/log/$name.utils.log" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p') \
    || die "Flink's BashJavaUtils failed for $name; log: $FL_DIR/log/$name.utils.log"
  flags=$(sed -n 1p <<<"$out")
  props=$(sed -n 2p <<<"$out")
  [[ -n "$flags" ]] || die "Flink's BashJavaUtils printed no JVM flags for $name; log: $FL_DIR/log/$name.utils.log"
  # The logger truncates its file: what a process that died (or was killed) had logged goes to
  # <name>.earlier.log first, to read after a failed test.
  if [[ -s "$(fl_log "$name")" ]]; then
    cat "$(fl_log "$name")" >>"$FL_DIR/log/$name.earlier.log"
  fi
  # shellcheck disable=SC2086 # flags and props are word lists, as Flink's scripts use them
  setsid java $flags "${FL_JAVA17_OPENS[@]}" -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.defaultLogLevel=info \
    "-Dorg.slf4j.simpleLogger.logFile=$(fl_log "$name")" -Dlog.file="$(fl_log "$name")" \
    -cp "$(<"$FL_CP")" "$main" --configDir "$FL_CONF" $props $extra \
    </dev/null >"$FL_DIR/log/$name.out" 2>&1 &
  echo $! >"$(fl_pidfile "$name")"
}

start_flink() {
  flink_classpath
  local rest="" rpc="" p
  if ! live_pid "$(fl_pidfile jobmanager)" >/dev/null; then
    read -r rest rpc 2>/dev/null <"$FL_DIR/port" || true
    if [[ -z "${rest:-}" ]] || ! port_free "$rest" || ! port_free "$rpc"; then
      rest=$(free_port)
      rpc=$(free_port)
    fi
    CHOSEN+="$rest $rpc "
    echo "$rest $rpc" >"$FL_DIR/port"
    fl_write_conf "$rest" "$rpc"
  fi
  for p in $(fl_processes); do
    fl_start_process "$p"
  done
  await flink "$(fl_log jobmanager)" "$(fl_pidfile jobmanager)" fl_ready
}

stop_flink() {
  local p pid
  for p in $(fl_processes | tac); do
    pid=$(live_pid "$(fl_pidfile "$p")") || continue
    terminate "$pid"
  done
}

fl_pid() { live_pid "$(fl_pidfile jobmanager)"; }

# ---------------------------------------------------------------------------------------------

endpoint() {
  case $1 in
    postgres) echo "127.0.0.1:$(pg_port)" ;;
    mariadb) echo "127.0.0.1:$(my_port)" ;;
    redis) echo "127.0.0.1:$(rd_port)" ;;
    kafka) echo "127.0.0.1:$(kf_port)" ;;
    flink) echo "127.0.0.1:$(fl_port)" ;;
  esac
}

pidfile_of() {
  case $1 in
    postgres) echo "$PG_PID" ;;
    mariadb) echo "$MY_PID" ;;
    redis) echo "$RD_PID" ;;
    kafka) echo "$KF_PID" ;;
    flink) fl_pidfile jobmanager ;;
  esac
}

# The addresses of the servers that run (all of them after a plain start).
write_endpoints() {
  {
    echo "# Written by it/services.sh start; read by io.tributary.it.Services."
    if live_pid "$KF_PID" >/dev/null; then echo "kafka.bootstrap=127.0.0.1:$(kf_port)"; fi
    if live_pid "$RD_PID" >/dev/null; then
      echo "redis.host=127.0.0.1"
      echo "redis.port=$(rd_port)"
    fi
    local db
    for db in postgres mariadb; do
      live_pid "$(pidfile_of $db)" >/dev/null || continue
      echo "$db.host=127.0.0.1"
      if [[ $db == postgres ]]; then echo "$db.port=$(pg_port)"; else echo "$db.port=$(my_port)"; fi
      echo "$db.user=$USER_NAME"
      echo "$db.password=$USER_PASSWORD"
      echo "$db.database=$DATABASE"
    done
    if fl_pid >/dev/null; then
      echo "flink.rest=127.0.0.1:$(fl_port)"
      echo "flink.conf=$FL_CONF"
      echo "flink.classpath=$FL_CP"
      echo "flink.dir=$FL_DIR"
    fi
  } >"$ENDPOINTS.tmp"
  mv "$ENDPOINTS.tmp" "$ENDPOINTS"
}

# Our servers still running without their pid file (e.g. after target/ was deleted): a server
# process whose command line names our directory.
strays() {
  local f pid
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    case $(cat "/proc/$pid/comm" 2>/dev/null) in
      postgres | mariadbd | redis-server | java) ;;
      *) continue ;;
    esac
    tr '\0' ' ' <"$f" 2>/dev/null | grep -qF "$ROOT/" && echo "$pid"
  done
  return 0
}

# The services named on the command line (all when none is), checked.
select_services() {
  local s
  CHOSEN_SERVICES=("$@")
  ((${#CHOSEN_SERVICES[@]})) || CHOSEN_SERVICES=("${SERVICES[@]}")
  for s in "${CHOSEN_SERVICES[@]}"; do
    [[ " ${SERVICES[*]} " == *" $s "* ]] || die "unknown service '$s'; services: ${SERVICES[*]}"
  done
}

cmd_start() {
  [[ $EUID -eq 0 ]] || die "must run as root (installs packages, runs servers as postgres/mysql)"
  local t0 t1 s
  t0=$(now)
  # Unix sockets live under $ROOT; their paths are limited to 107 bytes.
  ((${#ROOT} <= 80)) || die "checkout path too long for unix sockets: $ROOT"
  install_missing
  mkdir -p "$ROOT"
  # On failure, stop what this run started (servers that were already running stay up).
  STARTED=()
  trap 'stop_started_on_failure $?' EXIT
  for s in "${CHOSEN_SERVICES[@]}"; do
    t1=$(now)
    live_pid "$(pidfile_of "$s")" >/dev/null || STARTED+=("$s")
    "start_$s"
    log "$(printf '%-9s %-22s pid %-8s %5s s' "$s" "$(endpoint "$s")" \
      "$(live_pid "$(pidfile_of "$s")")" "$(elapsed "$t1")")"
  done
  write_endpoints
  trap - EXIT
  log "services ready in $(elapsed "$t0") s; endpoints: $ENDPOINTS"
}

stop_started_on_failure() {
  local status=$1 s
  trap - EXIT
  if ((status != 0)); then
    for s in "${STARTED[@]}"; do
      log "stopping $s (started by this run)"
      "stop_$s" || true
    done
  fi
  exit "$status"
}

cmd_stop() {
  local s pid t0 t1
  t0=$(now)
  # Independent servers: stopped side by side.
  for s in "${CHOSEN_SERVICES[@]}"; do
    t1=$(now)
    if live_pid "$(pidfile_of "$s")" >/dev/null; then
      ("stop_$s" && log "$(printf '%-9s stopped in %s s' "$s" "$(elapsed "$t1")")") &
    fi
  done
  wait
  ((${#CHOSEN_SERVICES[@]} == ${#SERVICES[@]})) || { write_endpoints; return; }
  for pid in $(strays); do
    log "stopping stray process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
    terminate "$pid"
  done
  rm -f "$ENDPOINTS"
  log "services stopped in $(elapsed "$t0") s"
}

cmd_status() {
  local s pid all=0
  for s in "${CHOSEN_SERVICES[@]}"; do
    if [[ $s == flink ]] && pid=$(fl_pid); then
      local p tms=()
      for p in $(fl_processes); do
        [[ $p == jobmanager ]] || { live_pid "$(fl_pidfile "$p")" >/dev/null && tms+=("$p") ; } || true
      done
      printf '%-9s running  %-22s pid %s, %d of %d TaskManagers\n' "$s" "$(endpoint "$s")" "$pid" \
        "${#tms[@]}" "$FL_TASKMANAGERS"
      ((${#tms[@]} == FL_TASKMANAGERS)) || all=3
    elif pid=$(live_pid "$(pidfile_of "$s")"); then
      printf '%-9s running  %-22s pid %s\n' "$s" "$(endpoint "$s")" "$pid"
    else
      printf '%-9s stopped\n' "$s"
      all=3
    fi
  done
  return $all
}

command=${1:-}
shift || true
select_services "$@"
case $command in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) die "usage: services.sh start|stop|status [service ...]; services: ${SERVICES[*]}" ;;
esac
