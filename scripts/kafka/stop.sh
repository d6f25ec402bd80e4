#!/usr/bin/env bash
# Stops the broker started by start.sh: SIGTERM (clean controlled shutdown),
# then SIGKILL if it has not exited within KAFKA_STOP_TIMEOUT seconds.
# Safe when nothing is running.
# Usage: scripts/kafka/stop.sh [--wipe]   (--wipe also deletes the data dir)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-30}
wipe=false
for arg in "$@"; do
  case $arg in
    --wipe) wipe=true ;;
    -h | --help) sed -n '2,6p' "$0"; exit 0 ;;
    *) kafka_log "unknown argument: $arg (usage: stop.sh [--wipe])"; exit 2 ;;
  esac
done

pid=$(kafka_running_pid)
if [[ -z $pid ]] && command -v ss >/dev/null; then
  # Pid file lost (e.g. data dir partly deleted)? Find whoever listens on our
  # port, but only act on it if it is a broker started with our config.
  cand=$(ss -Hltnp "sport = :$KAFKA_PORT" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n1)
  if [[ -n $cand ]] && kafka_is_our_pid "$cand"; then pid=$cand; fi
fi

if [[ -z $pid ]]; then
  kafka_log "not running"
else
  kafka_log "stopping broker pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kafka_is_our_pid "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if kafka_is_our_pid "$pid"; then
    kafka_log "still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kafka_is_our_pid "$pid" || break; sleep 0.1; done
    ! kafka_is_our_pid "$pid" || { kafka_log "ERROR: pid $pid survived SIGKILL"; exit 1; }
  fi
  # A killed process can vanish from /proc a moment before its sockets are
  # closed; wait for the port so an immediate start.sh does not see it busy.
  for _ in $(seq 50); do kafka_port_busy "$KAFKA_PORT" || break; sleep 0.1; done
  kafka_log "stopped"
fi
rm -f "$KAFKA_PIDFILE"

if $wipe && [[ -d $KAFKA_DATA ]]; then
  # Only delete a directory start.sh created (it leaves a marker file).
  if [[ -f $KAFKA_MARKER ]]; then
    rm -rf -- "$KAFKA_DATA"
    kafka_log "wiped $KAFKA_DATA"
  else
    kafka_log "ERROR: refusing to wipe $KAFKA_DATA: no $KAFKA_MARKER (not made by start.sh)"
    exit 1
  fi
fi
