#!/usr/bin/env bash
# Make sure the services the tests use are running on 127.0.0.1: PostgreSQL (5432, trust
# auth, user postgres) and Redis (6379), and that Debian's chromium is installed for the
# browser tests. The fault tests also run private instances of both (initdb/pg_ctl as the
# postgres user, redis-server on other ports): the same packages provide them.
# Installs (apt) and starts them when needed and possible; otherwise says why, and the
# tests that need them skip with that reason printed.
set -u

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "services: installing PostgreSQL (apt)"
    as_root apt-get install -y -q postgresql >/dev/null 2>&1 || echo "services: could not install PostgreSQL"
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -n | tail -1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if pg_up; then echo "services: PostgreSQL is up on 127.0.0.1:5432"; else echo "services: PostgreSQL is not available; its tests will skip"; fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if ! redis_up; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "services: installing Redis (apt)"
    as_root apt-get install -y -q redis-server >/dev/null 2>&1 \
      || { as_root apt-get update -q >/dev/null 2>&1 && as_root apt-get install -y -q redis-server >/dev/null 2>&1; } \
      || echo "services: could not install Redis"
  fi
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
fi
if redis_up; then echo "services: Redis is up on 127.0.0.1:6379"; else echo "services: Redis is not available; the scale-out tests will skip"; fi
if ! command -v chromium >/dev/null 2>&1; then
  echo "services: installing chromium (apt) for the browser tests"
  as_root apt-get install -y -q chromium >/dev/null 2>&1 \
    || { as_root apt-get update -q >/dev/null 2>&1 && as_root apt-get install -y -q chromium >/dev/null 2>&1; } \
    || echo "services: could not install chromium; the browser tests will skip"
fi
if command -v chromium >/dev/null 2>&1; then echo "services: chromium is installed"; fi
exit 0
