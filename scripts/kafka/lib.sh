# shellcheck shell=bash
# Shared settings and helpers for start.sh / stop.sh / cli.sh. Sourced, not run.
# shellcheck disable=SC2034  # variables here are used by the sourcing scripts

KAFKA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAFKA_REPO_ROOT=$(cd "$KAFKA_SCRIPT_DIR/../.." && pwd)

# The pom is the single source of truth for the version, so bumping it there
# also moves the jar cache and no stale jars end up on the classpath.
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_SCRIPT_DIR/pom.xml")
[[ -n $KAFKA_VERSION ]] || { echo "kafka: cannot read <kafka.version> from pom.xml" >&2; exit 1; }

KAFKA_PORT=${KAFKA_PORT:-9092}
[[ $KAFKA_PORT =~ ^[0-9]+$ ]] || { echo "kafka: KAFKA_PORT must be a number" >&2; exit 1; }
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
KAFKA_CACHE=${KAFKA_CACHE:-${HOME:?HOME must be set}/.cache/huijie-kafka/$KAFKA_VERSION}
KAFKA_DATA=${KAFKA_DATA:-$KAFKA_REPO_ROOT/.kafka}
KAFKA_LIBS=$KAFKA_CACHE/libs

KAFKA_CONFIG=$KAFKA_DATA/server.properties
KAFKA_LOG4J=$KAFKA_DATA/log4j2.properties
KAFKA_TOOLS_LOG4J=$KAFKA_DATA/tools-log4j2.properties
KAFKA_PIDFILE=$KAFKA_DATA/kafka.pid
KAFKA_LOGFILE=$KAFKA_DATA/kafka.log
# Marker that says "this directory was made by start.sh", so `stop.sh --wipe`
# never deletes a directory someone pointed KAFKA_DATA at by mistake.
KAFKA_MARKER=$KAFKA_DATA/.huijie-kafka

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

kafka_log() { printf 'kafka: %s\n' "$*" >&2; }

# True when $1 is a live broker started from *this* data dir. Checking the
# command line (not just `kill -0`) guards against a recycled pid and against
# killing a broker that belongs to another checkout.
kafka_is_our_pid() {
  local pid=$1 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *kafka.Kafka*"$KAFKA_CONFIG"* ]]
}

# Prints the pid of our running broker, or nothing.
kafka_running_pid() {
  local pid
  [[ -f $KAFKA_PIDFILE ]] || return 0
  pid=$(<"$KAFKA_PIDFILE")
  if kafka_is_our_pid "$pid"; then echo "$pid"; fi
}

# Asks the broker itself: sends an ApiVersions v0 request over a raw TCP
# socket and checks the reply carries our correlation id and error_code 0.
# A plain port check is not enough: the socket is bound well before the broker
# has loaded metadata and started serving requests. Costs milliseconds, unlike
# a JVM-based tool, so it is cheap to poll.
kafka_probe() {
  local port=${1:-$KAFKA_PORT} reply
  local -a bytes
  # Frame: size=18 | api_key=18 (ApiVersions) | version=0 | corr="HUJI" | client_id="hj-probe"
  # shellcheck disable=SC2016  # $1 expands in the inner bash, on purpose
  reply=$(timeout 3 bash -c '
      exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
      printf "\x00\x00\x00\x12\x00\x12\x00\x00HUJI\x00\x08hj-probe" >&3
      head -c 10 <&3 | od -An -tx1' _ "$port" 2>/dev/null) || return 1
  # Reply: size(4) | correlation id "HUJI" | error_code 0
  read -ra bytes <<<"$reply"
  [[ "${bytes[*]:4:6}" == "48 55 4a 49 00 00" ]]
}

# True when something accepts TCP connections on 127.0.0.1:$1.
kafka_port_busy() {
  # shellcheck disable=SC2016  # $1 expands in the inner bash, on purpose
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# CLI tools log at WARN to stderr so their real output stays readable.
kafka_write_tools_log4j() {
  mkdir -p "$KAFKA_DATA"
  cat >"$KAFKA_TOOLS_LOG4J" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

# A Kafka CLI class run against the jars, in a small JVM tuned to start fast
# (C1 only, serial GC): these tools live for seconds, not hours.
KAFKA_CLI_CMD=("$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
  -Dlog4j2.configurationFile="$KAFKA_TOOLS_LOG4J" -cp "$KAFKA_LIBS/*")
kafka_cli() { "${KAFKA_CLI_CMD[@]}" "$@"; }
