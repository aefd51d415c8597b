#!/usr/bin/env bash
# Control plane bootstrap, as decided by etcd-prepare.sh (kilonode-etcd-prepare.service, before this):
# "new" or "restored": kubeadm init (master 0); "join": wait for the API, then join as control plane (any
# master, master 0 too when it replaces a member of a live cluster; the PKI is already on disk from
# fetch-pki.sh, so no certificate key is needed). No decision (it failed or could not tell): no kubeadm.
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

decision_file="${KILONODE_RUN_DIR:-/run/kilonode}/etcd-decision"
[[ -f $decision_file ]] || die "kubeadm-bootstrap: etcd-prepare.sh made no decision this boot" \
  "(journalctl -u kilonode-etcd-prepare); not running kubeadm"
decision=$(<"$decision_file")
case $decision in
  new | restored) mode="init" ;;
  join) mode="join" ;;
  *) die "kubeadm-bootstrap: etcd decision '$decision' on a master that is not bootstrapped" ;;
esac

# kubeadm reset deletes /etc/kubernetes/pki (the CAs fetch-pki.sh wrote from SSM) and every static pod
# manifest (the events etcd's too). Keep what was there before the first attempt and put it back after a
# reset, so a retry has the same CAs and manifests as the first attempt.
keep="$KILONODE_STATE_DIR/before-join"
join_once() {
  run_redacted kubeadm join --config "$cfg" && return 0
  log "kubeadm join failed; kubeadm reset -f, then restoring the PKI and manifests kept from before the join"
  run_redacted kubeadm reset -f || true
  for d in pki manifests; do
    [[ -d $keep/$d ]] || continue
    rm -rf "${K8S_DIR:?}/$d"
    cp -a "$keep/$d" "$K8S_DIR/$d"
  done
  return 1
}

if [[ $mode == init ]]; then
  [[ $MASTER_INDEX == 0 ]] || die "kubeadm-bootstrap: only master 0 initialises a cluster (decision '$decision')"
  render "$CONF_DIR/init.yaml"
  extra=()
  # The etcd dir already holds the restored member (etcd-prepare.sh), which kubeadm must keep.
  [[ $decision == restored ]] && extra+=(--ignore-preflight-errors=DirAvailable--var-lib-etcd)
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
  rm -rf "$keep"
  install -d -m 0700 "$keep"
  for d in pki manifests; do if [[ -d $K8S_DIR/$d ]]; then cp -a "$K8S_DIR/$d" "$keep/$d"; fi; done
  log "kubeadm join --control-plane (master $MASTER_INDEX)"
  retry_with_backoff "$MAX" "$CAP" join_once || die "kubeadm join failed $MAX times"
  rm -rf "$keep"
fi
log "kubeadm-bootstrap: master $MASTER_INDEX is up"
