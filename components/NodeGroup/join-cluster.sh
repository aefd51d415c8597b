#!/usr/bin/env bash
# Worker join. The ASG starts ~1,000 workers together, so they all hit the API at once; report 001 saw
# client-side throttling delays grow to ~30 s under such bursts. So every wait here is capped exponential
# backoff with full jitter (lib.sh retry_with_backoff), and a worker that cannot join after
# JOIN_MAX_ATTEMPTS marks itself Unhealthy so the ASG replaces it (no human in the loop).
# Exit: 0 joined (or already joined), 1 gave up (instance marked Unhealthy), 2 bad configuration.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
DIE_CODE=2
[[ -n ${API_ENDPOINT:-} && -n ${SSM_PREFIX:-} ]] || die "join: API_ENDPOINT and SSM_PREFIX must be set in the env file"
MAX=${JOIN_MAX_ATTEMPTS:-30}
API_MAX=${API_WAIT_MAX_ATTEMPTS:-$MAX} # masters may come up later than workers; can be raised separately
CAP=${JOIN_MAX_BACKOFF_SECONDS:-60}
TEMPLATE=${KILONODE_JOIN_TEMPLATE:-/etc/kilonode/kubeadm/join.yaml}
KUBELET_CONF=${KILONODE_KUBELET_CONF:-/etc/kubernetes/kubelet.conf}
RUN_DIR=${KILONODE_RUN_DIR:-/run/kilonode}

if [[ -f $KUBELET_CONF ]]; then log "join: $KUBELET_CONF exists, node already joined"; exit 0; fi
[[ -r $TEMPLATE ]] || die "join: $TEMPLATE missing"

# give_up WHAT: mark this instance Unhealthy so the ASG replaces it, then exit 1.
give_up() {
  local iid
  log "join: $1; marking this instance Unhealthy"
  if iid=$(imds_get meta-data/instance-id) && [[ -n $iid ]]; then
    aws autoscaling set-instance-health --instance-id "$iid" --health-status Unhealthy \
      --no-should-respect-grace-period || log "join: set-instance-health failed for $iid"
  else
    log "join: cannot read the instance id from IMDS"
  fi
  exit 1
}

# The kubelet patch names this node's providerID (aws:///<zone>/<instance-id>): the node drainer on the
# masters matches Terminating:Wait instances to nodes by it.
PATCH=${KILONODE_KUBELET_PATCH:-/etc/kilonode/kubeadm/patches/kubeletconfiguration+merge.yaml}
if [[ -f $PATCH ]] && grep -q __PROVIDER_ID__ "$PATCH"; then
  zone=$(imds_get meta-data/placement/availability-zone) || give_up "cannot read the zone from IMDS"
  iid=$(imds_get meta-data/instance-id) || give_up "cannot read the instance id from IMDS"
  sed -i "s|__PROVIDER_ID__|aws:///$zone/$iid|" "$PATCH"
  log "join: providerID aws:///$zone/$iid"
fi

log "join: waiting for https://$API_ENDPOINT/readyz (max $API_MAX attempts, backoff cap ${CAP}s)"
retry_with_backoff "$API_MAX" "$CAP" api_ready || give_up "API not ready after $API_MAX attempts"
log "join: API is ready"

# SSM GetParameter is throttled per account too: same backoff. The token only lives in variables/0600 files.
token=$(retry_with_backoff "$MAX" "$CAP" ssm_get "$SSM_PREFIX/bootstrap-token") || give_up "cannot read $SSM_PREFIX/bootstrap-token"
valid_token "$token" || die "join: $SSM_PREFIX/bootstrap-token is not a kubeadm token"
install -d -m 0700 "$RUN_DIR"
cfg="$RUN_DIR/join.yaml"
trap 'rm -f "$cfg"' EXIT
render_token "$TEMPLATE" "$cfg" "$token"
unset token
log "join: rendered $cfg (0600)"

join_once() {
  log "join: kubeadm join --config $cfg"
  run_redacted kubeadm join --config "$cfg" && return 0
  log "join: kubeadm join failed; kubeadm reset -f before the next attempt"
  run_redacted kubeadm reset -f || true
  return 1
}
retry_with_backoff "$MAX" "$CAP" join_once || give_up "kubeadm join failed $MAX times"
log "join: node joined the cluster"
