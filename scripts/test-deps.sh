#!/usr/bin/env bash
# What the test suite needs beyond npm packages: Debian's Chromium (browser tests drive it with
# playwright-core; never a downloaded browser), openssl (the HTTPS test makes a certificate),
# nginx (the documented reverse-proxy configuration runs in front of a relay; the package's own
# service is not started: the test runs its own nginx on a loopback port), ipptool
# (cups-ipp-utils: the IPP tests' client nobody here wrote) and CUPS (cups: cupsd, lpadmin, lp,
# cancel and the filters; its own service is not started: ipp-cups.test runs a private cupsd).
# Installs them with apt-get when missing and we are root; otherwise fails loudly.
# The suite also runs on PostgreSQL: a local server that is down is started (as the machine's
# notes say); one that cannot be had fails the run here, before any test.
set -euo pipefail
if [ -z "${FLEETRELAY_TEST_DATABASE_URL:-}" ] && [ "${FLEETRELAY_TEST_STORES:-sqlite postgres}" != sqlite ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
      echo "test-deps: starting the local PostgreSQL" >&2
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start || true
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 || {
      echo "test-deps: PostgreSQL is not running on 127.0.0.1:5432 and could not be started; the suite runs on PostgreSQL too:" >&2
      echo "test-deps: install and start it (apt-get install postgresql), or set FLEETRELAY_TEST_DATABASE_URL to a server where you may create databases" >&2
      exit 1
    }
  fi
fi
# The cluster suite needs NATS with JetStream: a local server that is down is started (the machine's
# notes give the command); one that cannot be had fails the run here.
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }
if [ -z "${FLEETRELAY_TEST_NATS_URL:-}" ] && [ "${FLEETRELAY_TEST_STORES:-sqlite postgres}" != sqlite ] && ! nats_up; then
  if [ ! -x /usr/sbin/nats-server ] && [ "$(id -u)" -eq 0 ]; then
    echo "test-deps: installing nats-server from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
  fi
  if [ -x /usr/sbin/nats-server ]; then
    echo "test-deps: starting the local NATS server (JetStream)" >&2
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
    for _ in $(seq 1 30); do nats_up && break; sleep 1; done
  fi
  nats_up || {
    echo "test-deps: NATS is not running on 127.0.0.1:4222 and could not be started; the cluster suite needs it:" >&2
    echo "test-deps: install and start it (apt-get install nats-server; nats-server -a 127.0.0.1 -p 4222 -js), or set FLEETRELAY_TEST_NATS_URL" >&2
    exit 1
  }
fi
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v ipptool >/dev/null || missing+=(cups-ipp-utils)
{ [ -x /usr/sbin/cupsd ] && [ -x /usr/sbin/lpadmin ] && command -v lp >/dev/null && [ -x /usr/lib/cups/filter/pdftopdf ]; } || missing+=(cups)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: missing ${missing[*]}; install with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "test-deps: installing ${missing[*]} from Debian's packages" >&2
apt-get update -qq
# No service may start from a package's install script (nginx would listen on port 80).
policy=/usr/sbin/policy-rc.d
[ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; trap 'rm -f "$policy"' EXIT; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
