#!/usr/bin/env bash
# What the document store's malware-scan tests need, installed when missing (quick when not):
#
#   clamav-daemon   Debian's clamd (apt-get, as root). The tests run their own clamd, as the
#                   current user, on a free port, with a signature database they write
#                   themselves: ClamAV's signature mirrors cannot be reached here, and the
#                   package's own service (and freshclam) are neither started nor needed.
#
#   deploy/local/clamav.sh            install what is missing (progress on stderr)
#   deploy/local/clamav.sh --paths    then print CLAMD=... (for the tests)
set -euo pipefail

LOG_TAG=clamav
# shellcheck source=deploy/local/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"

clamd_path() { command -v clamd || { [[ -x /usr/sbin/clamd ]] && echo /usr/sbin/clamd; }; }

if [[ -z $(clamd_path) ]]; then
  is_root || die "needs clamav-daemon: run sudo apt-get install clamav-daemon"
  # policy-rc.d: install the daemon without starting Debian's own clamd (it would wait for
  # signatures that never come).
  policy=/usr/sbin/policy-rc.d
  [[ -e $policy ]] || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && trap 'rm -f "$policy"' EXIT; }
  apt_install clamav-daemon || die "could not install clamav-daemon"
fi

if [[ ${1:-} == --paths ]]; then
  echo "CLAMD=$(clamd_path)"
fi
