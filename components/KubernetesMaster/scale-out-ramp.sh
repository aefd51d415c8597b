#!/usr/bin/env bash
# Paced scale-out (master 0, kilonode-scale-out-ramp.timer): raise this stack's worker groups' desired
# capacity toward maxSize one step at a time. Rules and their reasons: dev.kilonode.scaleout.RampController
# (the Java model the simulation tests); pacing from SSM ${SSM_PREFIX}/scale-out/pacing.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
export KUBECONFIG=${KUBECONFIG:-/etc/kubernetes/admin.conf}
if [[ ${MASTER_INDEX:-0} != 0 ]]; then exit 0; fi
[[ -f $KUBECONFIG ]] || { log "scale-out-ramp: $KUBECONFIG missing (not bootstrapped yet)"; exit 0; }
: "${SSM_PREFIX:?}" "${KILONODE_STACK:?}"
[[ $SSM_PREFIX =~ ^/([^/]+)/([^/]+)$ ]] || die "scale-out-ramp: SSM_PREFIX $SSM_PREFIX is not /<project>/<stack>"
name_prefix="${BASH_REMATCH[1]}-${BASH_REMATCH[2]}"

dir="$KILONODE_STATE_DIR/scale-out-ramp"
state="$dir/state"
install -d -m 0700 "$dir"
now=$(date +%s)

if [[ -f $state ]] && grep -q '^halted ' "$state"; then
  log "scale-out-ramp: HALTED: $(sed -n 's/^halted //p' "$state"); look at the group, then rm $state to resume"
  exit 0
fi

# KEY=VALUE whole numbers, parsed (never sourced).
pacing=$(ssm_get "$SSM_PREFIX/scale-out/pacing") || die "scale-out-ramp: cannot read $SSM_PREFIX/scale-out/pacing; not changing any group"
JOIN_BOUND='' STEP_TIMEOUT_SECONDS='' EC2_BUCKET='' EC2_REFILL_PER_SECOND='' EC2_RESERVE='' MIN_STEP=''
while IFS='=' read -r k v; do
  [[ -n $k ]] || continue
  [[ $v =~ ^[0-9]+$ ]] || die "scale-out-ramp: pacing $k=$v is not a whole number"
  case $k in
    JOIN_BOUND | STEP_TIMEOUT_SECONDS | EC2_BUCKET | EC2_REFILL_PER_SECOND | EC2_RESERVE | MIN_STEP) printf -v "$k" '%s' "$v" ;;
    *) die "scale-out-ramp: unknown pacing setting $k" ;;
  esac
done <<<"$pacing"
for k in JOIN_BOUND STEP_TIMEOUT_SECONDS EC2_BUCKET EC2_REFILL_PER_SECOND EC2_RESERVE MIN_STEP; do
  [[ -n ${!k} ]] || die "scale-out-ramp: pacing has no $k"
done

# The stack's worker groups: tagged with the stack and named exactly <project>-<stack>-<node-group>.
# shellcheck disable=SC2016 # backticks are JMESPath literals
groups=$(aws autoscaling describe-auto-scaling-groups --output text \
  --filters "Name=tag:kilonode:stack,Values=$KILONODE_STACK" "Name=tag-key,Values=kilonode:node-group" \
  --query 'AutoScalingGroups[].[AutoScalingGroupName,DesiredCapacity,MaxSize,join(`,`,Instances[].InstanceId),Tags[?Key==`kilonode:node-group`].Value|[0]]') ||
  die "scale-out-ramp: cannot describe the worker groups; not changing any group"
groups=$(awk -F'\t' -v OFS='\t' -v p="$name_prefix" '$1 == p "-" $5 {print $1, $2, $3, $4}' <<<"$groups")
[[ -n $groups && $groups != None ]] || { log "scale-out-ramp: no worker groups tagged for stack $KILONODE_STACK"; exit 0; }

# Ready nodes by instance id (providerID aws:///<az>/<id>).
nodes=$(kubectl get nodes -o jsonpath='{range .items[*]}{.spec.providerID}{"\t"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' </dev/null) ||
  die "scale-out-ramp: cannot list nodes; not changing any group"
declare -A ready_iid=()
while IFS=$'\t' read -r pid st; do
  [[ -n $pid && $st == True ]] && ready_iid[${pid##*/}]=1
done <<<"$nodes"

declare -a names=()
declare -A desired=() max=() ready=()
while IFS=$'\t' read -r name d m ids; do
  [[ -n $name ]] || continue
  names+=("$name")
  desired[$name]=$d max[$name]=$m
  n=0
  IFS=',' read -ra list <<<"${ids:-}"
  for iid in "${list[@]}"; do [[ -n ${ready_iid[$iid]:-} ]] && n=$((n + 1)); done
  ready[$name]=$n
done <<<"$groups"

min() { if (($1 < $2)); then echo "$1"; else echo "$2"; fi; }

# State lines: "tokens <milli> <last>", "step <group> <raisedAt> <desiredAfter>", "halted <why>".
declare -a steps=()
if [[ -f $state ]]; then
  read -r _ tokens last < <(grep '^tokens ' "$state")
  while read -r _ g at to; do steps+=("$g $at $to"); done < <(grep '^step ' "$state" || true)
  elapsed=$((now > last ? now - last : 0))
  tokens=$(min $((tokens + elapsed * EC2_REFILL_PER_SECOND * 1000)) $((EC2_BUCKET * 1000)))
else
  # First tick: what is already requested used tokens and is the first step.
  requested=0
  for g in "${names[@]}"; do
    requested=$((requested + desired[$g]))
    (("${ready[$g]}" < $(min "${desired[$g]}" "${max[$g]}"))) && steps+=("$g $now ${desired[$g]}")
  done
  tokens=$((EC2_BUCKET > requested ? (EC2_BUCKET - requested) * 1000 : 0))
  log "scale-out-ramp: starting; ${#names[@]} group(s), bound $JOIN_BOUND, ${requested} instance(s) already requested"
fi

save() {
  local tmp="$state.tmp" s
  {
    printf 'tokens %s %s\n' "$tokens" "$now"
    [[ -z ${halted:-} ]] || printf 'halted %s\n' "$halted"
    for s in "${steps[@]}"; do printf 'step %s\n' "$s"; done
  } >"$tmp"
  mv "$tmp" "$state"
}

# Done steps drop out; an overdue one halts; an open one waits.
declare -a open=()
for s in "${steps[@]}"; do
  read -r g at to <<<"$s"
  [[ -n ${desired[$g]:-} ]] || continue # group gone
  (("${ready[$g]}" >= $(min "$to" "${max[$g]}"))) && continue
  if ((now - at > STEP_TIMEOUT_SECONDS)); then
    halted="$g: ${ready[$g]} of $to Ready $((now - at)) s after the step"
    save
    log "scale-out-ramp: HALT $halted; no further raises until rm $state"
    exit 0
  fi
  open+=("$s")
done
steps=("${open[@]}")
if ((${#open[@]} > 0)); then
  save
  log "scale-out-ramp: waiting for ${#open[@]} step(s) to join: $(for s in "${open[@]}"; do read -r g _ to <<<"$s"; printf '%s %s/%s ' "$g" "${ready[$g]}" "$to"; done)"
  exit 0
fi

inflight=0
for g in "${names[@]}"; do
  d=$(min "${desired[$g]}" "${max[$g]}")
  ((d > ready[$g])) && inflight=$((inflight + d - ready[$g]))
done
failed=0
for g in "${names[@]}"; do
  remaining=$((max[$g] - desired[$g]))
  ((remaining > 0)) || continue
  room=$(min $((JOIN_BOUND - inflight)) $(((tokens - EC2_RESERVE * 1000) / 1000)))
  add=$(min "$remaining" "$room")
  ((add > 0)) || continue
  ((add >= MIN_STEP || add >= remaining)) || continue
  to=$((desired[$g] + add))
  if aws autoscaling set-desired-capacity --auto-scaling-group-name "$g" --desired-capacity "$to" </dev/null; then
    inflight=$((inflight + add))
    tokens=$((tokens - add * 1000))
    steps+=("$g $now $to")
    log "scale-out-ramp: RAISE $g ${desired[$g]} -> $to (in flight $inflight/$JOIN_BOUND, tokens $((tokens / 1000)))"
  else
    log "scale-out-ramp: set-desired-capacity $g $to failed; trying again next tick"
    failed=1
  fi
done
save
exit "$failed"
