#!/usr/bin/env bash
# Private test servers for the integration tests: services.sh start|stop|status
#
# start   installs what is missing (Debian packages postgresql, mariadb-server, redis-server, and
#         chromium and chromium-driver for the browser tests), then starts PostgreSQL (wal_level=logical), MariaDB (ROW binlog), Redis and a single-node
#         Kafka KRaft broker, each on a free loopback port with data, logs, sockets and pid files
#         under it/target/services/, waits until each answers and writes
#         it/target/services/endpoints.properties. Servers already running are reused.
# stop    stops them (safe when nothing runs).
# status  prints each one's state; exit status 0 when all four run, 3 otherwise.
#
# Needs root (package installation; PostgreSQL and MariaDB run as the postgres and mysql users),
# Java 17 and Maven (the Kafka jars are resolved from Maven). System instances on the default
# ports are never used or touched. Users and databases: tributary / tributary, database tributary.
set -euo pipefail

IT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT="$IT/target/services"
ENDPOINTS="$ROOT/endpoints.properties"
pom_property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$IT/../pom.xml"; }
KAFKA_VERSION=$(pom_property kafka.version)
SLF4J_VERSION=$(pom_property slf4j.version)
USER_NAME=tributary
USER_PASSWORD=tributary
DATABASE=tributary
DEADLINE=${SERVICES_DEADLINE_SECONDS:-60}
SERVICES=(postgres mariadb redis kafka)

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

kafka_classpath() {
  [[ -s "$KF_CP" ]] && return
  mkdir -p "$KF_DIR"
  cat >"$KF_DIR/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.tributary</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  mvn -q -B -f "$KF_DIR/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$KF_CP.tmp" >"$KF_DIR/classpath.log" 2>&1 \
    || die "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION failed; log: $KF_DIR/classpath.log"
  mv "$KF_CP.tmp" "$KF_CP"
}

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

endpoint() {
  case $1 in
    postgres) echo "127.0.0.1:$(pg_port)" ;;
    mariadb) echo "127.0.0.1:$(my_port)" ;;
    redis) echo "127.0.0.1:$(rd_port)" ;;
    kafka) echo "127.0.0.1:$(kf_port)" ;;
  esac
}

pidfile_of() {
  case $1 in
    postgres) echo "$PG_PID" ;;
    mariadb) echo "$MY_PID" ;;
    redis) echo "$RD_PID" ;;
    kafka) echo "$KF_PID" ;;
  esac
}

write_endpoints() {
  cat >"$ENDPOINTS.tmp" <<EOF
# Written by it/services.sh start; read by io.tributary.it.Services.
kafka.bootstrap=127.0.0.1:$(kf_port)
redis.host=127.0.0.1
redis.port=$(rd_port)
postgres.host=127.0.0.1
postgres.port=$(pg_port)
postgres.user=$USER_NAME
postgres.password=$USER_PASSWORD
postgres.database=$DATABASE
mariadb.host=127.0.0.1
mariadb.port=$(my_port)
mariadb.user=$USER_NAME
mariadb.password=$USER_PASSWORD
mariadb.database=$DATABASE
EOF
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
  for s in "${SERVICES[@]}"; do
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
  for s in "${SERVICES[@]}"; do
    t1=$(now)
    if live_pid "$(pidfile_of "$s")" >/dev/null; then
      ("stop_$s" && log "$(printf '%-9s stopped in %s s' "$s" "$(elapsed "$t1")")") &
    fi
  done
  wait
  for pid in $(strays); do
    log "stopping stray process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
    terminate "$pid"
  done
  rm -f "$ENDPOINTS"
  log "services stopped in $(elapsed "$t0") s"
}

cmd_status() {
  local s pid all=0
  for s in "${SERVICES[@]}"; do
    if pid=$(live_pid "$(pidfile_of "$s")"); then
      printf '%-9s running  %-22s pid %s\n' "$s" "$(endpoint "$s")" "$pid"
    else
      printf '%-9s stopped\n' "$s"
      all=3
    fi
  done
  return $all
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) die "usage: services.sh start|stop|status" ;;
esac
