#!/usr/bin/env bash
# Makes sure the services the tests talk to are up (idempotent). Tests that need a
# private instance (e.g. to stop Redis on purpose) start their own on a free port.
set -euo pipefail
if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/releasecast-redis.log
fi
if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  v=$(ls /etc/postgresql | sort -V | tail -n1)
  pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
fi
