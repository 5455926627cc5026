#!/usr/bin/env bash
# Local integration-test services for Distributary: a single-node KRaft Apache
# Kafka broker (jars from Maven Central) and a ClickHouse server (Debian
# package). Both listen on loopback only and keep all their state under
# ${DISTRIBUTARY_SERVICES_DIR:-<repo>/.services}.
#
# Usage: scripts/services.sh up|down|status|logs [kafka|clickhouse] [options]
#   up     [kafka|clickhouse]        install if missing, start, wait until ready (idempotent)
#   down   [kafka|clickhouse]        stop (TERM, then KILL after a timeout)
#   status [kafka|clickhouse]        one line per service; exit 0 only if all are up
#   logs   [kafka|clickhouse] [-f] [-n N]   show (or follow) the server logs
#
# Environment: DISTRIBUTARY_SERVICES_DIR, KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093),
#   CLICKHOUSE_HTTP_PORT (18123), CLICKHOUSE_TCP_PORT (19000), KAFKA_VERSION (3.9.1, falls
#   back to 3.9.0), KAFKA_HEAP_OPTS ("-Xmx512m -Xms256m"), KAFKA_START_TIMEOUT (90),
#   CLICKHOUSE_START_TIMEOUT (60), STOP_TIMEOUT (30).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
SERVICES_DIR="${DISTRIBUTARY_SERVICES_DIR:-$REPO_ROOT/.services}"

KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
CLICKHOUSE_HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-18123}"
CLICKHOUSE_TCP_PORT="${CLICKHOUSE_TCP_PORT:-19000}"
KAFKA_VERSIONS="${KAFKA_VERSION:-3.9.1 3.9.0}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
CLICKHOUSE_START_TIMEOUT="${CLICKHOUSE_START_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"

KAFKA_LIBS="$SERVICES_DIR/kafka-libs"
CONF_DIR="$SERVICES_DIR/conf"
DATA_DIR="$SERVICES_DIR/data"
LOG_DIR="$SERVICES_DIR/logs"
RUN_DIR="$SERVICES_DIR/run"

KAFKA_PID="$RUN_DIR/kafka.pid"
KAFKA_LOG="$LOG_DIR/kafka.log"
KAFKA_PROPS="$CONF_DIR/kafka/server.properties"
KAFKA_DATA="$DATA_DIR/kafka"
CH_PID="$RUN_DIR/clickhouse.pid"
CH_LOG="$LOG_DIR/clickhouse.log"
CH_CONF="$CONF_DIR/clickhouse/config.xml"
CH_USERS="$CONF_DIR/clickhouse/users.xml"
CH_DATA="$DATA_DIR/clickhouse"

# Milliseconds since the epoch, and "N.Ns" elapsed since a now_ms value.
now_ms() { local t="${EPOCHREALTIME:-$(date +%s.%N)}"; t="${t/./}"; printf '%s\n' "$((10#${t:0:13}))"; }
since() { local d=$(($(now_ms) - $1)); printf '%d.%ds' "$((d / 1000))" "$((d % 1000 / 100))"; }

log() { printf '[services %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------- helpers

# has_arg PID ARG: the process PID has ARG as one of its command-line arguments.
has_arg() {
  local a
  [[ -r "/proc/$1/cmdline" ]] || return 1
  while IFS= read -r -d '' a; do
    [[ "$a" == "$2" ]] && return 0
  done <"/proc/$1/cmdline" 2>/dev/null
  return 1
}

has_args() { # PID ARG...
  local pid="$1" a
  shift
  for a in "$@"; do has_arg "$pid" "$a" || return 1; done
}

# pid_of PIDFILE MARKER...: print the pid of our server, i.e. the live process in PIDFILE whose
# command line has all the MARKER arguments (guards against a stale pid reused by something else).
# If the pid file is missing or stale but such a process exists (pid file deleted by hand),
# adopt it and rewrite the pid file.
pid_of() {
  local pidfile="$1" pid="" d
  shift
  [[ -s "$pidfile" ]] && pid="$(tr -dc '0-9' <"$pidfile")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && has_args "$pid" "$@"; then
    printf '%s\n' "$pid"
    return 0
  fi
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if has_args "$pid" "$@"; then
      mkdir -p "$RUN_DIR" && printf '%s\n' "$pid" >"$pidfile"
      printf '%s\n' "$pid"
      return 0
    fi
  done
  return 1
}
kafka_pid() { pid_of "$KAFKA_PID" kafka.Kafka "$KAFKA_PROPS"; }
clickhouse_pid() { pid_of "$CH_PID" "--config-file=$CH_CONF"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_port_free() { # NAME PORT ENVVAR
  if port_open "$2"; then
    die "$1: port $2 on 127.0.0.1 is already in use by another process (set $3 to use another port)"
  fi
}

log_tail() { # FILE
  if [[ -s "$1" ]]; then
    log "last lines of $1:"
    tail -n 40 "$1" | sed 's/^/    /' >&2
  fi
}

# stop_pid NAME PID: TERM, wait up to STOP_TIMEOUT s, then KILL.
stop_pid() {
  local name="$1" pid="$2" i
  log "$name: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "$name: stopped"; return 0; }
    sleep 0.2
  done
  log "$name: still running after ${STOP_TIMEOUT}s, sending KILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "$name: killed"; return 0; }
    sleep 0.2
  done
  die "$name: pid $pid did not exit"
}

# Run a Kafka CLI class with the broker's classpath and a quiet logging setup.
kafka_java() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$CONF_DIR/kafka/tools-log4j.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

# ---------------------------------------------------------------- Kafka

kafka_install() {
  if [[ -f "$KAFKA_LIBS/.complete" ]] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v java >/dev/null || die "kafka: java not found (Java 17 is required)"
  command -v mvn >/dev/null || die "kafka: mvn not found (Maven is required to fetch the Kafka jars)"
  local pomdir="$SERVICES_DIR/kafka-pom" mvnlog="$LOG_DIR/kafka-mvn.log" v
  mkdir -p "$pomdir"
  for v in $KAFKA_VERSIONS; do
    log "kafka: downloading jars for Kafka $v from Maven Central..."
    cat >"$pomdir/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/services.sh: only used to fetch the Kafka broker jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.distributary</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$v</version>
    </dependency>
    <!-- CLI tools (TopicCommand, ConsoleProducer/Consumer) used for readiness checks. -->
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$v</version>
    </dependency>
    <!-- Logging binding: Kafka 3.x logs through slf4j to log4j 1.x (reload4j). -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
    rm -rf "$KAFKA_LIBS"
    if (cd "$pomdir" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$KAFKA_LIBS") >"$mvnlog" 2>&1; then
      printf '%s\n' "$v" >"$KAFKA_LIBS/.complete"
      log "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
      return 0
    fi
    log "kafka: Maven could not fetch Kafka $v"
  done
  log_tail "$mvnlog"
  die "kafka: downloading the Kafka jars failed (tried: $KAFKA_VERSIONS)"
}

kafka_write_config() {
  mkdir -p "$CONF_DIR/kafka" "$KAFKA_DATA"
  cat >"$KAFKA_PROPS" <<EOF
# Generated by scripts/services.sh -- rewritten on every 'up'.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
num.partitions=1
auto.create.topics.enable=true
EOF
  cat >"$CONF_DIR/kafka/log4j.properties" <<'EOF'
# Broker logging: everything to stdout, which services.sh redirects to logs/kafka.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN
EOF
  cat >"$CONF_DIR/kafka/tools-log4j.properties" <<'EOF'
# CLI tools: warnings only, to stderr.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
}

kafka_format() {
  [[ -f "$KAFKA_DATA/meta.properties" ]] && return 0
  local uuid
  log "kafka: formatting storage in $KAFKA_DATA..."
  if [[ -s "$CONF_DIR/kafka/cluster-id" ]]; then
    uuid="$(cat "$CONF_DIR/kafka/cluster-id")"
  else
    uuid="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n 1)"
    [[ -n "$uuid" ]] || die "kafka: StorageTool random-uuid printed nothing"
    printf '%s\n' "$uuid" >"$CONF_DIR/kafka/cluster-id"
  fi
  kafka_java kafka.tools.StorageTool format -t "$uuid" -c "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1 ||
    { log_tail "$KAFKA_LOG"; die "kafka: formatting the storage failed"; }
}

# Probes: succeed once the server really answers.
kafka_ready() {
  port_open "$KAFKA_PORT" &&
    timeout 30 java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -Dlog4j.configuration="file:$CONF_DIR/kafka/tools-log4j.properties" -cp "$KAFKA_LIBS/*" \
      org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list \
      >/dev/null 2>&1
}

clickhouse_ready() {
  [[ "$(curl -s --max-time 2 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/?query=SELECT%201" 2>/dev/null)" == 1 ]]
}

# wait_ready NAME PID PIDFILE LOG TIMEOUT INTERVAL PROBE: polls PROBE until it succeeds; if the
# process dies or the timeout passes, prints the log tail, stops it and fails with the reason.
wait_ready() {
  local name=$1 pid=$2 pidfile=$3 logfile=$4 timeout_s=$5 interval=$6 probe=$7 begun=$SECONDS
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail "$logfile"
      rm -f "$pidfile"
      die "$name: the server exited during startup (log: $logfile)"
    fi
    "$probe" && return 0
    if ((SECONDS - begun >= timeout_s)); then
      log_tail "$logfile"
      log "$name: not ready after ${timeout_s}s, stopping it again"
      stop_pid "$name" "$pid" || true
      rm -f "$pidfile"
      die "$name: not ready after ${timeout_s}s (log: $logfile)"
    fi
    sleep "$interval"
  done
}

kafka_up() {
  local pid t0 launch
  if pid="$(kafka_pid)"; then
    log "kafka: already running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
    return 0
  fi
  t0=$(now_ms)
  check_port_free kafka "$KAFKA_PORT" KAFKA_PORT
  check_port_free kafka-controller "$KAFKA_CONTROLLER_PORT" KAFKA_CONTROLLER_PORT
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  kafka_install
  kafka_write_config
  kafka_format
  launch=$(now_ms)
  log "kafka: starting Kafka $(cat "$KAFKA_LIBS/.complete") on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)..."
  printf '\n===== %s services.sh: starting kafka =====\n' "$(date '+%F %T')" >>"$KAFKA_LOG"
  # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS is a list of JVM flags
  (cd "$SERVICES_DIR" && exec setsid nohup java $KAFKA_HEAP_OPTS -XX:+UseSerialGC \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$CONF_DIR/kafka/log4j.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS" </dev/null >>"$KAFKA_LOG" 2>&1) &
  pid=$!
  printf '%s\n' "$pid" >"$KAFKA_PID"
  # Wait for the listener, then for a real metadata round-trip through the admin client.
  wait_ready kafka "$pid" "$KAFKA_PID" "$KAFKA_LOG" "$KAFKA_START_TIMEOUT" 1 kafka_ready
  log "kafka: ready in $(since "$launch") (pid $pid; $(since "$t0") including install/format)"
}

kafka_down() {
  local pid
  if pid="$(kafka_pid)"; then
    stop_pid kafka "$pid"
  else
    log "kafka: not running"
  fi
  rm -f "$KAFKA_PID"
}

kafka_status() {
  local pid
  if pid="$(kafka_pid)"; then
    if port_open "$KAFKA_PORT"; then
      echo "kafka: running pid=$pid port=$KAFKA_PORT controller_port=$KAFKA_CONTROLLER_PORT version=$(cat "$KAFKA_LIBS/.complete" 2>/dev/null || echo '?')"
      return 0
    fi
    echo "kafka: starting pid=$pid port=$KAFKA_PORT (not listening yet)"
    return 1
  fi
  echo "kafka: stopped port=$KAFKA_PORT"
  return 1
}

# ---------------------------------------------------------------- ClickHouse

clickhouse_bin() { command -v clickhouse-server || command -v clickhouse || true; }

clickhouse_install() {
  [[ -n "$(clickhouse_bin)" ]] && return 0
  command -v apt-get >/dev/null || die "clickhouse: clickhouse-server is not installed and apt-get is not available"
  local aptlog="$LOG_DIR/clickhouse-apt.log"
  log "clickhouse: installing clickhouse-server and clickhouse-client with apt-get..."
  # policy-rc.d 101 stops the package's maintainer scripts from starting the service.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  local sudo=()
  [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
  if ! { "${sudo[@]}" apt-get update -q &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      clickhouse-server clickhouse-client; } >"$aptlog" 2>&1; then
    ((created_policy)) && rm -f "$policy"
    log_tail "$aptlog"
    die "clickhouse: apt-get install failed (log: $aptlog)"
  fi
  ((created_policy)) && rm -f "$policy"
  [[ -n "$(clickhouse_bin)" ]] || die "clickhouse: installed, but no clickhouse-server binary on PATH"
}

clickhouse_write_config() {
  mkdir -p "$CONF_DIR/clickhouse" "$CH_DATA"/{tmp,user_files,format_schemas}
  # Our own users.xml (not the package's /etc/clickhouse-server/users.xml, which allows any
  # network and may be edited by other tools): default user, no password, loopback only.
  cat >"$CH_USERS" <<'EOF'
<?xml version="1.0"?>
<!-- Generated by scripts/services.sh -->
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <load_balancing>random</load_balancing>
    </default>
    <readonly><readonly>1</readonly></readonly>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks>
        <ip>::1</ip>
        <ip>127.0.0.1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
EOF
  cat >"$CH_CONF" <<EOF
<?xml version="1.0"?>
<!-- Generated by scripts/services.sh; rewritten on every up. -->
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>$CLICKHOUSE_HTTP_PORT</http_port>
  <tcp_port>$CLICKHOUSE_TCP_PORT</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$CH_DATA/</path>
  <tmp_path>$CH_DATA/tmp/</tmp_path>
  <user_files_path>$CH_DATA/user_files/</user_files_path>
  <format_schema_path>$CH_DATA/format_schemas/</format_schema_path>
  <users_config>$CH_USERS</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size>
  <!-- librdkafka defaults for the Kafka table engine: a consumer group with no committed
       offset starts at the earliest message (librdkafka's default is the latest, which
       silently skips whatever was produced before the group was assigned its partitions). -->
  <kafka>
    <auto_offset_reset>smallest</auto_offset_reset>
  </kafka>
</yandex>
EOF
}

clickhouse_query() { # SQL -> stdout (HTTP interface)
  curl -sS --fail --max-time 10 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/" --data-binary "$1"
}

clickhouse_up() {
  local pid t0 launch bin
  if pid="$(clickhouse_pid)"; then
    log "clickhouse: already running (pid $pid, http 127.0.0.1:$CLICKHOUSE_HTTP_PORT)"
    return 0
  fi
  t0=$(now_ms)
  check_port_free clickhouse-http "$CLICKHOUSE_HTTP_PORT" CLICKHOUSE_HTTP_PORT
  check_port_free clickhouse-tcp "$CLICKHOUSE_TCP_PORT" CLICKHOUSE_TCP_PORT
  command -v curl >/dev/null || die "clickhouse: curl is required"
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  clickhouse_install
  bin="$(clickhouse_bin)"
  clickhouse_write_config
  launch=$(now_ms)
  log "clickhouse: starting $bin on 127.0.0.1:$CLICKHOUSE_HTTP_PORT (tcp $CLICKHOUSE_TCP_PORT)..."
  printf '\n===== %s services.sh: starting clickhouse =====\n' "$(date '+%F %T')" >>"$CH_LOG"
  if [[ "$(basename "$bin")" == clickhouse ]]; then bin="$bin server"; fi
  # shellcheck disable=SC2086  # "$bin" may be "clickhouse server"
  (cd "$CH_DATA" && exec setsid nohup $bin --config-file="$CH_CONF" </dev/null >>"$CH_LOG" 2>&1) &
  pid=$!
  printf '%s\n' "$pid" >"$CH_PID"
  wait_ready clickhouse "$pid" "$CH_PID" "$CH_LOG" "$CLICKHOUSE_START_TIMEOUT" 0.5 clickhouse_ready
  log "clickhouse: ready in $(since "$launch") ($(since "$t0") including install; pid $pid, version $(clickhouse_query 'SELECT version()' || echo '?'))"
}

clickhouse_down() {
  local pid
  if pid="$(clickhouse_pid)"; then
    stop_pid clickhouse "$pid"
  else
    log "clickhouse: not running"
  fi
  rm -f "$CH_PID"
}

clickhouse_status() {
  local pid
  if pid="$(clickhouse_pid)"; then
    if [[ "$(curl -s --max-time 2 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/?query=SELECT%201" 2>/dev/null)" == 1 ]]; then
      echo "clickhouse: running pid=$pid http_port=$CLICKHOUSE_HTTP_PORT tcp_port=$CLICKHOUSE_TCP_PORT version=$(clickhouse_query 'SELECT version()' 2>/dev/null || echo '?')"
      return 0
    fi
    echo "clickhouse: starting pid=$pid http_port=$CLICKHOUSE_HTTP_PORT (not answering yet)"
    return 1
  fi
  echo "clickhouse: stopped http_port=$CLICKHOUSE_HTTP_PORT"
  return 1
}

# ---------------------------------------------------------------- commands

select_services() { # [kafka|clickhouse|all] -> SERVICES array
  case "${1:-all}" in
    all | "") SERVICES=(kafka clickhouse) ;;
    kafka) SERVICES=(kafka) ;;
    clickhouse | ch) SERVICES=(clickhouse) ;;
    *) die "unknown service '$1' (expected kafka or clickhouse)" ;;
  esac
}

cmd_up() {
  local s
  mkdir -p "$SERVICES_DIR"
  for s in "${SERVICES[@]}"; do "${s}_up"; done
  echo "# services are up; use:"
  for s in "${SERVICES[@]}"; do
    case "$s" in
      kafka) echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT" ;;
      clickhouse) echo "CLICKHOUSE_URL=http://127.0.0.1:$CLICKHOUSE_HTTP_PORT" ;;
    esac
  done
}

cmd_down() {
  local s rc=0
  # Reverse order: ClickHouse may be consuming from Kafka.
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    s="${SERVICES[i]}"
    "${s}_down" || rc=1
  done
  return "$rc"
}

cmd_status() {
  local s rc=0
  for s in "${SERVICES[@]}"; do "${s}_status" || rc=1; done
  return "$rc"
}

cmd_logs() {
  local follow=0 lines=50 files=() s f
  while (($#)); do
    case "$1" in
      -f | --follow) follow=1 ;;
      -n) lines="${2:?-n needs a number}"; shift ;;
      *) die "logs: unknown option '$1'" ;;
    esac
    shift
  done
  for s in "${SERVICES[@]}"; do
    case "$s" in
      kafka) f="$KAFKA_LOG" ;;
      clickhouse) f="$CH_LOG" ;;
    esac
    if [[ -f "$f" ]]; then files+=("$f"); else log "$s: no log yet ($f)"; fi
  done
  ((${#files[@]})) || return 0
  if ((follow)); then
    exec tail -n "$lines" -F "${files[@]}"
  fi
  tail -n "$lines" "${files[@]}"
}

main() {
  local cmd="${1:-}"
  (($#)) && shift
  SERVICES=()
  local target=""
  if (($#)) && [[ "$1" != -* ]]; then target="$1"; shift; fi
  select_services "$target"
  case "$cmd" in
    up) (($# == 0)) || die "up: unexpected arguments: $*"; cmd_up ;;
    down) (($# == 0)) || die "down: unexpected arguments: $*"; cmd_down ;;
    status) (($# == 0)) || die "status: unexpected arguments: $*"; cmd_status ;;
    logs) cmd_logs "$@" ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) log "unknown command '$cmd'"; usage >&2; exit 2 ;;
  esac
}

main "$@"
