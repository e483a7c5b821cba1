#!/usr/bin/env bash
# What the test suite needs beyond npm packages: Debian's Chromium (browser tests drive it with
# playwright-core; never a downloaded browser), openssl (the HTTPS test makes a certificate) and
# nginx (the documented reverse-proxy configuration runs in front of a relay; the package's own
# service is not started: the test runs its own nginx on a loopback port).
# Installs them with apt-get when missing and we are root; otherwise fails loudly.
set -euo pipefail
missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
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
