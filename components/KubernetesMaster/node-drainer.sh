#!/usr/bin/env bash
# Graceful scale-in: the worker ASG's termination lifecycle hook holds instances in Terminating:Wait;
# here (master 0, every 30 s via kilonode-node-drainer.timer) we drain and delete their nodes, then let
# the ASG continue. Without it 1,000-node scale-ins leave NotReady nodes and unevicted pods behind.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
export KUBECONFIG=${KUBECONFIG:-/etc/kubernetes/admin.conf}
if [[ ${MASTER_INDEX:-0} != 0 ]]; then exit 0; fi
[[ -f $KUBECONFIG ]] || { log "node-drainer: $KUBECONFIG missing (not bootstrapped yet)"; exit 0; }
[[ -n ${LIFECYCLE_HOOK_NAME:-} ]] || DIE_CODE=2 die "node-drainer: LIFECYCLE_HOOK_NAME not set in the env file"

# shellcheck disable=SC2016 # backticks are JMESPath literals
waiting=$(aws autoscaling describe-auto-scaling-instances --output text \
  --query 'AutoScalingInstances[?LifecycleState==`Terminating:Wait`].[InstanceId,AutoScalingGroupName]')
[[ -n $waiting && $waiting != None ]] || exit 0
[[ -n ${KILONODE_STACK:-} ]] || DIE_CODE=2 die "node-drainer: KILONODE_STACK not set in the env file"
[[ ${SSM_PREFIX:-} =~ ^/([^/]+)/([^/]+)$ ]] || DIE_CODE=2 die "node-drainer: SSM_PREFIX '${SSM_PREFIX:-}' is not /<project>/<stack>"
name_prefix="${BASH_REMATCH[1]}-${BASH_REMATCH[2]}"
# Only this stack's groups: tagged kilonode:stack and named exactly <project>-<stack>-<node-group> (another
# project's stack of the same name has the same tag; stack "<stack>-x" has names this prefix would match).
# Other stacks use the same hook name, and releasing their instances would skip their drain. If the groups
# cannot be listed, release nothing.
# shellcheck disable=SC2016 # backticks are JMESPath literals
if ! tagged=$(aws autoscaling describe-auto-scaling-groups --output text \
  --filters "Name=tag:kilonode:stack,Values=$KILONODE_STACK" \
  --query 'AutoScalingGroups[].[AutoScalingGroupName,Tags[?Key==`kilonode:node-group`].Value|[0]]'); then
  die "node-drainer: cannot list the Auto Scaling groups of stack $KILONODE_STACK; releasing nothing"
fi
ours=$(awk -F'\t' -v p="$name_prefix" '$1 == p "-" $2 {print $1}' <<<"$tagged")
nodes=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.spec.providerID}{"\n"}{end}')

# release IID ASG: drain + delete the node (if it joined), then complete the lifecycle action.
release() {
  local iid=$1 asg=$2 node
  # providerID is aws:///<az>/<instance-id>
  node=$(awk -F'\t' -v id="$iid" '$2 ~ ("/" id "$") {print $1; exit}' <<<"$nodes")
  if [[ -n $node ]]; then
    log "node-drainer: draining $node ($iid, $asg)"
    kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout=120s </dev/null ||
      log "WARNING: drain of $node incomplete after 120s; deleting it anyway (the instance is going away)"
    kubectl delete node "$node" --ignore-not-found </dev/null || log "WARNING: delete node $node failed"
  else
    log "node-drainer: $iid ($asg) has no node (never joined); releasing it"
  fi
  if aws autoscaling complete-lifecycle-action --lifecycle-action-result CONTINUE \
    --lifecycle-hook-name "$LIFECYCLE_HOOK_NAME" --auto-scaling-group-name "$asg" --instance-id "$iid" </dev/null; then
    log "node-drainer: $iid released (CONTINUE)"
  else
    log "node-drainer: complete-lifecycle-action failed for $iid in $asg (not our hook?)"
  fi
}

# Drains run in parallel (bounded): a large scale-in must finish within the hook's heartbeat timeout,
# and 120 s per node in series would not.
PAR=${DRAIN_PARALLELISM:-20}
while read -r iid asg; do
  [[ -n $iid ]] || continue
  if ! grep -qxF -- "$asg" <<<"$ours"; then
    log "node-drainer: $iid is in $asg, not a group of stack $KILONODE_STACK; left alone"
    continue
  fi
  while (($(jobs -rp | wc -l) >= PAR)); do wait -n || true; done
  release "$iid" "$asg" &
done <<<"$waiting"
wait
