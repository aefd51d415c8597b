#!/usr/bin/env bash
# Control plane bootstrap. Master 0: kubeadm init. Masters 1..N: wait for the API, then join as
# control plane (the PKI is already on disk from fetch-pki.sh, so no certificate key is needed).
# The bootstrap token comes from SSM and is never printed (kubeadm output is masked).
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${MASTER_INDEX:?}" "${SSM_PREFIX:?}" "${API_ENDPOINT:?}"
CONF_DIR=${KILONODE_KUBEADM_DIR:-/etc/kilonode/kubeadm}
K8S_DIR=${KILONODE_K8S_DIR:-/etc/kubernetes}
MAX=${JOIN_MAX_ATTEMPTS:-30}
CAP=${JOIN_MAX_BACKOFF_SECONDS:-60}

if [[ -f $K8S_DIR/admin.conf || -f $K8S_DIR/kubelet.conf ]]; then
  log "kubeadm-bootstrap: already bootstrapped ($K8S_DIR has admin.conf/kubelet.conf)"; exit 0
fi
install -d -m 0700 "$KILONODE_STATE_DIR"
cfg="$KILONODE_STATE_DIR/kubeadm-config.yaml"
trap 'rm -f "$cfg"' EXIT

# render TEMPLATE: copy to $cfg (0600) with the SSM token substituted when the template asks for it.
render() {
  local token=""
  if grep -q __BOOTSTRAP_TOKEN__ "$1"; then
    token=$(retry_with_backoff 6 30 ssm_get "$SSM_PREFIX/bootstrap-token") || die "cannot read the bootstrap token from SSM"
    valid_token "$token" || die "SSM $SSM_PREFIX/bootstrap-token is not a kubeadm token"
  fi
  render_token "$1" "$cfg" "$token"
}

join_once() {
  run_redacted kubeadm join --config "$cfg" && return 0
  log "kubeadm join failed; kubeadm reset -f before the next attempt"
  run_redacted kubeadm reset -f || true
  return 1
}

if [[ $MASTER_INDEX == 0 ]]; then
  render "$CONF_DIR/init.yaml"
  extra=()
  # The etcd dir already holds the restored member (etcd-restore.sh), which kubeadm must keep.
  [[ -f $KILONODE_STATE_DIR/etcd-restored ]] && extra+=(--ignore-preflight-errors=DirAvailable--var-lib-etcd)
  log "kubeadm init${extra[*]:+ ${extra[*]}}"
  run_redacted kubeadm init --config "$cfg" --skip-token-print "${extra[@]}" || die "kubeadm init failed"
  # events-etcd.sh starts a new events etcd only on the master that created the cluster.
  touch "$KILONODE_STATE_DIR/cluster-initialised-here"
  # Register the SSM token in the cluster now instead of waiting for the timer.
  sync="$(dirname "${BASH_SOURCE[0]}")/token-sync.sh"
  [[ -x $sync ]] && { "$sync" || log "WARNING: token-sync failed; kilonode-token-sync.timer retries"; }
else
  log "waiting for the API at https://$API_ENDPOINT/readyz"
  retry_with_backoff "$MAX" "$CAP" api_ready || die "API never became ready"
  render "$CONF_DIR/join-control-plane.yaml"
  log "kubeadm join --control-plane (master $MASTER_INDEX)"
  retry_with_backoff "$MAX" "$CAP" join_once || die "kubeadm join failed $MAX times"
fi
log "kubeadm-bootstrap: master $MASTER_INDEX is up"
