#!/usr/bin/env bash
# What the family page's browser and PDF tests need, installed when missing (quick when not):
#
#   chromium, chromium-driver   Debian's packages (apt-get, as root): the real headless browser
#                               Playwright drives (it never downloads browsers of its own)
#   libpango-1.0-0, libpangoft2-1.0-0, fonts-dejavu-core
#                               what WeasyPrint (the plans service's PDFs) renders with
#   axe-core                    npm ci of deploy/tools/browser (pinned by its package-lock.json)
#                               into $SEND_CACHE_DIR/tools/axe-<hash>
#
#   deploy/local/browser.sh            install what is missing (progress on stderr)
#   deploy/local/browser.sh --paths    then print CHROMIUM=... and AXE_JS=... (for the tests)
set -euo pipefail

LOG_TAG=browser
# shellcheck source=deploy/local/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"
SRC=$REPO_ROOT/deploy/tools/browser
AXE_DIR=$SEND_CACHE_DIR/tools/axe-$(cat "$SRC"/package{,-lock}.json | sha256sum | cut -c1-16)

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
if ((${#missing[@]})); then
  is_root || die "needs ${missing[*]}: run sudo apt-get install ${missing[*]}"
  apt_install "${missing[@]}" || die "could not install ${missing[*]}"
fi

if [[ ! -f $AXE_DIR/.complete ]]; then
  command -v npm >/dev/null 2>&1 || die "Node.js with npm is needed for axe-core"
  log "installing axe-core into $AXE_DIR"
  mkdir -p "$(dirname -- "$AXE_DIR")"
  tmp=$(mktemp -d "$AXE_DIR.tmp.XXXXXX")
  cp "$SRC"/package{,-lock}.json "$tmp/"
  (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
  touch "$tmp/.complete"
  rm -rf "$AXE_DIR"
  mv "$tmp" "$AXE_DIR"
fi

if [[ ${1:-} == --paths ]]; then
  echo "CHROMIUM=$(command -v chromium)"
  echo "AXE_JS=$AXE_DIR/node_modules/axe-core/axe.min.js"
fi
