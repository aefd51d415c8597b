#!/usr/bin/env bash
# Write the cluster CAs and service-account key pair from SSM (SecureString) before kubeadm runs, so every
# master (and a replaced or restored one) uses the same PKI and kubeadm only derives leaf certificates.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${SSM_PREFIX:?}"
PKI_DIR=${KILONODE_PKI_DIR:-/etc/kubernetes/pki}

# fetch PARAM FILE MODE: atomic write; the value never reaches stdout.
fetch() {
  local value tmp
  value=$(retry_with_backoff 6 30 ssm_get "$SSM_PREFIX/pki/$1") || die "cannot read SSM $SSM_PREFIX/pki/$1"
  [[ -n $value ]] || die "SSM $SSM_PREFIX/pki/$1 is empty"
  tmp=$(mktemp "$PKI_DIR/.kilonode.XXXXXX")
  printf '%s\n' "$value" >"$tmp"
  chmod "$3" "$tmp"
  mv -f "$tmp" "$PKI_DIR/$2"
  log "wrote $PKI_DIR/$2 (mode $3)"
}

umask 077
install -d -m 0755 "$PKI_DIR" "$PKI_DIR/etcd"
fetch ca.crt ca.crt 0644
fetch ca.key ca.key 0600
fetch front-proxy-ca.crt front-proxy-ca.crt 0644
fetch front-proxy-ca.key front-proxy-ca.key 0600
fetch etcd-ca.crt etcd/ca.crt 0644
fetch etcd-ca.key etcd/ca.key 0600
fetch sa.pub sa.pub 0644
fetch sa.key sa.key 0600
