#!/usr/bin/env bash
# Runs a Kafka CLI tool from the cached jars against the local broker; adds
# --bootstrap-server 127.0.0.1:$KAFKA_PORT unless you pass one.
# Usage: scripts/kafka/cli.sh topics|produce|consume|groups|api-versions|<main class> [args...]
#   scripts/kafka/cli.sh topics --create --topic demo
#   echo hi | scripts/kafka/cli.sh produce --topic demo
#   scripts/kafka/cli.sh consume --topic demo --from-beginning --max-messages 1
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || { sed -n '2,7p' "$0" >&2; exit 2; }
[[ -f $KAFKA_LIBS/.complete ]] || { kafka_log "no jars in $KAFKA_LIBS yet: run scripts/kafka/start.sh first"; exit 1; }

tool=$1
shift
case $tool in
  topics) main=org.apache.kafka.tools.TopicCommand ;;
  produce) main=org.apache.kafka.tools.ConsoleProducer ;;
  consume) main=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  api-versions) main=org.apache.kafka.tools.BrokerApiVersionsCommand ;;
  *.*) main=$tool ;;
  *) kafka_log "unknown tool '$tool'"; sed -n '2,7p' "$0" >&2; exit 2 ;;
esac

args=("$@")
if [[ " $* " != *" --bootstrap-server "* ]]; then
  args=(--bootstrap-server "127.0.0.1:$KAFKA_PORT" "${args[@]}")
fi
kafka_write_tools_log4j
exec "${KAFKA_CLI_CMD[@]}" "$main" "${args[@]}"
