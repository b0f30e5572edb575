#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine (docs/build-host.md: there is no systemd
# on the host, so dockerd is started by hand in the background). Idempotent.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "vigie: installing the Docker engine (docker.io from Debian)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

log=${DOCKERD_LOG:-/var/log/vigie-dockerd.log}
echo "vigie: starting dockerd (log: $log)" >&2
nohup dockerd --storage-driver=overlay2 >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "vigie: dockerd did not answer within 60 s; see $log" >&2
exit 1
