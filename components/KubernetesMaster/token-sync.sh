#!/usr/bin/env bash
# Token rotation: SSM ${SSM_PREFIX}/bootstrap-token is the source of truth. Ensure it exists in the
# cluster (no TTL, so 1,000 workers that boot hours later can still join) and delete every other
# token we created earlier (description kilonode-managed). Rotating = writing a new SSM value.
# Runs on every master (kilonode-token-sync.timer); concurrent runs converge.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${SSM_PREFIX:?}"
KUBECONFIG=${KUBECONFIG:-/etc/kubernetes/admin.conf}
DESC=kilonode-managed
[[ -f $KUBECONFIG ]] || { log "token-sync: $KUBECONFIG missing (not bootstrapped yet), skipping"; exit 0; }

token=$(retry_with_backoff 5 30 ssm_get "$SSM_PREFIX/bootstrap-token") || die "token-sync: cannot read SSM"
valid_token "$token" || die "token-sync: SSM $SSM_PREFIX/bootstrap-token is not a kubeadm token"

# Full tokens of ours currently in the cluster (kept in a variable, never printed).
managed() {
  kubeadm token list --kubeconfig "$KUBECONFIG" -o json |
    jq -r --arg d "$DESC" 'select(.description == $d) | .token'
}
current=$(managed)
if ! grep -qxF -- "$token" <<<"$current"; then
  if kubeadm token create "$token" --ttl 0 --description "$DESC" --kubeconfig "$KUBECONFIG" >/dev/null 2>&1 ||
    grep -qxF -- "$token" <<<"$(managed)"; then # another master may have won the race
    log "token-sync: created token id ${token%%.*}"
  else
    die "token-sync: kubeadm token create failed for id ${token%%.*}"
  fi
fi
while read -r old; do
  [[ -z $old || $old == "$token" ]] && continue
  if kubeadm token delete "${old%%.*}" --kubeconfig "$KUBECONFIG" >/dev/null 2>&1; then
    log "token-sync: deleted rotated-out token id ${old%%.*}"
  fi
done <<<"$current"
log "token-sync: in sync (token id ${token%%.*})"
