#!/usr/bin/env bash
# Control-plane reconcile. A master's user-data is read only at first boot: changing it would stop the
# instance and wipe the etcd SSD. The settings that follow the cluster's size live in SSM instead:
#   ${SSM_PREFIX}/control-plane/master-<i>/kubeadm       kubeadm configuration for this master
#   ${SSM_PREFIX}/control-plane/master-<i>/etcd-events   events etcd static pod, or "none"
# When they change (the stack grew from 3 to 1,000 workers and the tuning profile raised the API server's
# inflight limits, report 002; the events etcd appeared, report 001) this regenerates the static pods.
# With KILONODE_RECONCILE_SEED=1 (first boot, right after kubeadm) it only records what boot applied.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${SSM_PREFIX:?}" "${MASTER_INDEX:?}"
K8S_DIR=${KILONODE_K8S_DIR:-/etc/kubernetes}
STATE_DIR=${KILONODE_STATE_DIR:-/var/lib/kilonode}
base="$SSM_PREFIX/control-plane/master-$MASTER_INDEX"
[[ -f $K8S_DIR/admin.conf ]] || { log "reconcile: $K8S_DIR/admin.conf missing (not bootstrapped yet), skipping"; exit 0; }

desired=$(retry_with_backoff 5 30 ssm_get "$base/kubeadm") || die "reconcile: cannot read $base/kubeadm"
events=$(retry_with_backoff 5 30 ssm_get "$base/etcd-events") || die "reconcile: cannot read $base/etcd-events"
hash=$(printf '%s\n%s\n' "$desired" "$events" | sha256sum | cut -d' ' -f1)
applied="$STATE_DIR/control-plane.sha256"
install -d -m 0700 "$STATE_DIR"
if [[ ${KILONODE_RECONCILE_SEED:-0} == 1 ]]; then
  printf '%s\n' "$hash" >"$applied"
  log "reconcile: recorded the boot configuration ${hash:0:12}"
  exit 0
fi
if [[ -f $applied && $(<"$applied") == "$hash" ]]; then log "reconcile: up to date (${hash:0:12})"; exit 0; fi

cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
printf '%s\n' "$desired" >"$cfg"
manifest="$K8S_DIR/manifests/etcd-events.yaml"
events_ready() { curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:2384/health; }
if [[ $events != none && ( ! -f $manifest || $(<"$manifest") != "$events" ) ]]; then
  # The events etcd first: the API server's --etcd-servers-overrides must find it when it restarts.
  (umask 077 && printf '%s\n' "$events" >"$manifest")
  log "reconcile: wrote $manifest; waiting for the events etcd"
  retry_with_backoff 20 30 events_ready || die "reconcile: events etcd not healthy"
fi
log "reconcile: regenerating the control-plane static pods from $base/kubeadm"
run_redacted kubeadm init phase control-plane all --config "$cfg"
run_redacted kubeadm init phase etcd local --config "$cfg"
if [[ $events == none && -f $manifest ]]; then
  rm -f "$manifest" # only after the API server stopped pointing at it
  log "reconcile: removed the events etcd"
fi
if [[ $MASTER_INDEX == 0 ]]; then
  # Later joins and upgrades read the cluster configuration from the kubeadm-config ConfigMap.
  run_redacted kubeadm init phase upload-config kubeadm --config "$cfg" --kubeconfig "$K8S_DIR/admin.conf"
fi
printf '%s\n' "$hash" >"$applied"
log "reconcile: applied ${hash:0:12}"
