#!/usr/bin/env bash
# Ensure docker.io + debootstrap are installed and dockerd is running.
# Idempotent: safe to call at the start of every test run.
#   molecule/images/dockerd.sh
# Env: DOCKERD_LOG (default /tmp/dockerd.log), DOCKERD_WAIT (default 60 s).
set -euo pipefail

log() { printf '[dockerd.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
DOCKERD_WAIT=${DOCKERD_WAIT:-60}

[ "$(id -u)" -eq 0 ] || die "must run as root"

missing=()
command -v docker >/dev/null 2>&1 || missing+=(docker.io)
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
    log "dockerd already running"
    exit 0
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
    log "starting dockerd (log: $DOCKERD_LOG)"
    # setsid: detach from this shell's process group so the daemon survives
    # the caller (CI step, make target) exiting.
    setsid dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
else
    log "dockerd process present but not answering yet; waiting"
fi

for _ in $(seq 1 "$DOCKERD_WAIT"); do
    if docker info >/dev/null 2>&1; then
        log "dockerd ready"
        exit 0
    fi
    sleep 1
done

log "dockerd did not answer within ${DOCKERD_WAIT}s; last log lines:"
tail -n 30 "$DOCKERD_LOG" >&2 || true
die "docker info failed"
