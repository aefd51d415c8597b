#!/usr/bin/env bash
# Control-plane reconcile. A master's user-data is read only at first boot: changing it would stop the
# instance and wipe the etcd SSD. The settings that follow the cluster's size live in SSM instead:
#   ${SSM_PREFIX}/control-plane/master-<i>/kubeadm       kubeadm configuration for this master
#   ${SSM_PREFIX}/control-plane/master-<i>/etcd-events   events etcd static pod template, or "none"
#   ${SSM_PREFIX}/control-plane/master-<i>/files         static pod resource patches, kube-scheduler's config
#                                                        file, events-etcd.sh
# When they change (the stack grew from 3 to 1,000 workers and the tuning profile raised the API server's
# inflight limits, report 002; the events etcd appeared, report 001) this regenerates the static pods.
# First boot runs it too, after kubeadm: it starts this master's events etcd member (events-etcd.sh), and that is
# when the API server gets --etcd-servers-overrides.
#
# Never two masters at once: a master restarts its control plane only while it holds the Lease
# kube-system/kilonode-control-plane (coordination.k8s.io/v1), and gives it back only once its etcd and API server
# answer again. The Lease is taken and released by compare-and-swap (create fails if it exists; replace carries the
# resourceVersion read, so a concurrent writer gets a Conflict), it lives in the cluster's etcd (strongly
# consistent) and expires when a holder dies (leaseDurationSeconds). SSM parameters have no compare-and-swap for
# update or delete, so an SSM "lock" could be broken by two masters at once. No API, no Lease, no restart.
#
# Never a crash-looping API server: the API server is regenerated (with the events override) only after the events
# etcd answers /health on this run, every run, retries included. The main etcd's manifest is edited in place (tuned
# flags and resources only), never regenerated with `kubeadm init phase etcd local`, which would write this
# master's name alone into --initial-cluster on a joined master.
# With KILONODE_RECONCILE_SEED=1 it only records the current desired state as applied.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${SSM_PREFIX:?}" "${MASTER_INDEX:?}"
K8S_DIR=${KILONODE_K8S_DIR:-/etc/kubernetes}
STATE_DIR=${KILONODE_STATE_DIR:-/var/lib/kilonode}
ROOT=${KILONODE_FILES_ROOT:-} # tests: where the absolute paths of the files bundle and the template land
EVENTS_ETCD_SCRIPT=${KILONODE_EVENTS_ETCD_SCRIPT:-$ROOT/etc/kilonode/bin/events-etcd.sh} # from .../files
LEASE=kilonode-control-plane
LEASE_SECONDS=${RECONCILE_LEASE_SECONDS:-1200} # the unit's TimeoutStartSec: a dead holder frees it by then
HOLDER="master-$MASTER_INDEX/${NODE_IP:-unknown}"
base="$SSM_PREFIX/control-plane/master-$MASTER_INDEX"
[[ -f $K8S_DIR/admin.conf ]] || { log "reconcile: $K8S_DIR/admin.conf missing (not bootstrapped yet), skipping"; exit 0; }
export KUBECONFIG=$K8S_DIR/admin.conf

desired=$(retry_with_backoff 5 30 ssm_get "$base/kubeadm") || die "reconcile: cannot read $base/kubeadm"
events=$(retry_with_backoff 5 30 ssm_get "$base/etcd-events") || die "reconcile: cannot read $base/etcd-events"
files=$(retry_with_backoff 5 30 ssm_get "$base/files") || die "reconcile: cannot read $base/files"
hash=$(printf '%s\n%s\n%s\n' "$desired" "$events" "$files" | sha256sum | cut -d' ' -f1)
applied="$STATE_DIR/control-plane.sha256"
install -d -m 0700 "$STATE_DIR"
if [[ ${KILONODE_RECONCILE_SEED:-0} == 1 ]]; then
  printf '%s\n' "$hash" >"$applied"
  log "reconcile: recorded the current configuration ${hash:0:12}"
  exit 0
fi
# Sized for this machine? A masterInstanceType change reaches SSM at once but this machine only at its roll: requests
# sized for another type could exceed this kubelet's allocatable, and it would refuse the static pods. Wait for the
# roll instead (the new machine's first boot applies it). Bundles without the line (older stacks) are not checked.
sized_for=$(awk -v m="### kilonode-file /etc/kilonode/control-plane-sized-for" '$0 == m { getline; print; exit }' <<<"$files")
if [[ -n $sized_for ]]; then
  this_type=$(retry_with_backoff 5 10 imds_get meta-data/instance-type) ||
    die "reconcile: cannot read this machine's instance type from the instance metadata; not applying a configuration sized for $sized_for"
  [[ -n $this_type ]] || die "reconcile: the instance metadata returned no instance type; not applying a configuration sized for $sized_for"
  if [[ $this_type != "$sized_for" ]]; then
    log "reconcile: the desired configuration (${hash:0:12}) is sized for $sized_for, this machine is $this_type;" \
      "leaving the control plane as it is until \`kilonode roll masters\` replaces this machine"
    exit 0
  fi
fi
events_ready() { curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:2384/health; }
if [[ -f $applied && $(<"$applied") == "$hash" ]]; then
  # Up to date, unless this master's events member is gone (a stop/start wiped its SSD): then re-join it.
  if [[ $events == none ]] || events_ready; then log "reconcile: up to date (${hash:0:12})"; exit 0; fi
  log "reconcile: the events etcd does not answer here; re-joining it"
fi

# ---------------------------------------------------------------- the Lease
now_micro() { date -u +%Y-%m-%dT%H:%M:%S.000000Z; }
lease_doc() { # RESOURCE_VERSION HOLDER
  jq -n --arg name "$LEASE" --arg rv "$1" --arg holder "$2" --arg now "$(now_micro)" --argjson d "$LEASE_SECONDS" '
    {apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: ({name: $name, namespace: "kube-system"}
      + (if $rv == "" then {} else {resourceVersion: $rv} end)),
     spec: {holderIdentity: $holder, leaseDurationSeconds: $d, acquireTime: $now, renewTime: $now}}'
}
# lease_try: 0 = this master holds the Lease now; 1 = another master holds it or won the race; 2 = cannot tell.
lease_try() {
  local out rv holder renew dur
  if ! out=$(kubectl -n kube-system get lease "$LEASE" -o json 2>&1); then
    if [[ $out == *NotFound* ]]; then
      lease_doc "" "$HOLDER" | kubectl create -f - >/dev/null 2>&1 && return 0
      return 1
    fi
    log "reconcile: cannot read the Lease: $out"
    return 2
  fi
  rv=$(jq -r '.metadata.resourceVersion' <<<"$out")
  holder=$(jq -r '.spec.holderIdentity // ""' <<<"$out")
  renew=$(jq -r '.spec.renewTime // ""' <<<"$out")
  dur=$(jq -r '.spec.leaseDurationSeconds // 0' <<<"$out")
  if [[ -n $holder && $holder != "$HOLDER" && -n $renew ]] &&
    (($(date -u -d "$renew" +%s) + dur > $(date -u +%s))); then
    log "reconcile: $holder is reconciling (Lease $LEASE until $(date -u -d "@$(($(date -u -d "$renew" +%s) + dur))" +%H:%M:%SZ))"
    return 1
  fi
  lease_doc "$rv" "$HOLDER" | kubectl replace -f - >/dev/null 2>&1 && return 0
  return 1
}
lease_acquire() {
  local rc
  for ((i = 1; i <= ${LEASE_ATTEMPTS:-10}; i++)); do
    rc=0
    lease_try || rc=$?
    ((rc == 0)) && return 0
    ((rc == 2)) && return 1
    ksleep $((30 + RANDOM % 30))
  done
  return 1
}
lease_release() {
  local out rv
  out=$(kubectl -n kube-system get lease "$LEASE" -o json 2>/dev/null) || return 0
  [[ $(jq -r '.spec.holderIdentity // ""' <<<"$out") == "$HOLDER" ]] || return 0
  rv=$(jq -r '.metadata.resourceVersion' <<<"$out")
  lease_doc "$rv" "" | kubectl replace -f - >/dev/null 2>&1 || log "reconcile: could not release the Lease (it expires by itself)"
}

# ---------------------------------------------------------------- helpers
# write_bundle: each "### kilonode-file PATH" section of $files to PATH (under /etc/kilonode only), atomically.
write_bundle() {
  local path="" body="" line
  flush() {
    [[ -n $path ]] || return 0
    [[ $path == /etc/kilonode/* && $path != *..* ]] || die "reconcile: refusing to write $path"
    install -d -m 0755 "$(dirname "$ROOT$path")"
    printf '%s' "$body" >"$ROOT$path.kilonode-tmp"
    [[ $path == *.sh ]] && chmod 0755 "$ROOT$path.kilonode-tmp"
    mv -f "$ROOT$path.kilonode-tmp" "$ROOT$path"
  }
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == "### kilonode-file "* ]]; then
      flush
      path=${line#"### kilonode-file "}
      body=""
    else
      body+="$line"$'\n'
    fi
  done <<<"$files"
  flush
}
etcd_ready() { curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:2381/health; }
api_local_ready() { curl -fsSk --max-time 5 -o /dev/null https://127.0.0.1:6443/readyz; }
manifest_sums() { sha256sum "$K8S_DIR"/manifests/*.yaml 2>/dev/null || true; }

# The main etcd's manifest with the desired tuned flags (etcd.local.extraArgs, map or list form) and resources
# (the etcd patch), everything else as it is: --name, --initial-cluster and --initial-cluster-state stay.
edit_etcd_manifest() { # MANIFEST CONFIG PATCH OUT
  python3 - "$@" <<'PY'
import sys, yaml
manifest, config, patch, out = sys.argv[1:5]
cc = next(d for d in yaml.safe_load_all(open(config)) if d and d.get("kind") == "ClusterConfiguration")
extra = ((cc.get("etcd") or {}).get("local") or {}).get("extraArgs") or {}
if isinstance(extra, list):
    extra = {a["name"]: a["value"] for a in extra}
keep = {"name", "initial-cluster", "initial-cluster-state", "initial-advertise-peer-urls", "data-dir"}
pod = yaml.safe_load(open(manifest))
c = next(c for c in pod["spec"]["containers"] if c["name"] == "etcd")
for k, v in extra.items():
    if k in keep:
        continue
    flag = "--" + k + "="
    at = [i for i, a in enumerate(c["command"]) if a.startswith(flag)]
    if at:
        c["command"][at[0]] = flag + str(v)
    else:
        c["command"].append(flag + str(v))
try:
    p = yaml.safe_load(open(patch))
    res = next(x for x in p["spec"]["containers"] if x["name"] == "etcd").get("resources")
    if res is not None:
        c["resources"] = res
except FileNotFoundError:
    pass
with open(out, "w") as f:
    yaml.safe_dump(pod, f, default_flow_style=False, sort_keys=False)
PY
}

# ---------------------------------------------------------------- apply
lease_acquire || die "reconcile: did not get the Lease $LEASE; nothing changed, the timer retries"
keep_lease=0
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  rm -f "${cfg:-}" "${etcd_new:-}"
  if ((keep_lease == 0)); then lease_release; fi
}
trap cleanup EXIT
log "reconcile: holding the Lease $LEASE as $HOLDER"

# Every main etcd member must answer before this one may restart: with one member down already, restarting
# this one would leave a three-member cluster without quorum (also after an expired Lease).
cid=$(crictl ps --state running --label io.kubernetes.container.name=etcd -o json |
  jq -r '.containers[] | select(.labels["io.kubernetes.pod.name"] | startswith("etcd-events") | not) | .id' | head -n1)
[[ -n $cid ]] || die "reconcile: no running etcd container here; not touching the control plane"
crictl exec "$cid" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
  --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key \
  --dial-timeout=5s --command-timeout=15s endpoint health --cluster >/dev/null ||
  die "reconcile: not every etcd member is healthy; not restarting this one"

cfg=$(mktemp)
printf '%s\n' "$desired" >"$cfg"
write_bundle
manifest="$K8S_DIR/manifests/etcd-events.yaml"
if [[ $events != none ]]; then
  # The events etcd first, and every run waits for it: the API server must find it when it restarts.
  (umask 077 && printf '%s\n' "$events" >"$ROOT/etc/kilonode/etcd-events.yaml")
  "$EVENTS_ETCD_SCRIPT" || die "reconcile: the events etcd is not running here; the API server is left as it is"
  retry_with_backoff 20 30 events_ready || die "reconcile: events etcd not healthy; the API server is left as it is"
fi

before=$(manifest_sums)
log "reconcile: regenerating the control-plane static pods from $base/kubeadm"
run_redacted kubeadm init phase control-plane all --config "$cfg"
etcd_new="$K8S_DIR/manifests/.etcd.yaml.kilonode"
edit_etcd_manifest "$K8S_DIR/manifests/etcd.yaml" "$cfg" "$ROOT/etc/kilonode/kubeadm/patches/etcd+strategic.yaml" "$etcd_new"
if cmp -s <(python3 -c 'import sys,yaml; print(yaml.safe_dump(yaml.safe_load(open(sys.argv[1]))))' "$K8S_DIR/manifests/etcd.yaml") \
  <(python3 -c 'import sys,yaml; print(yaml.safe_dump(yaml.safe_load(open(sys.argv[1]))))' "$etcd_new"); then
  rm -f "$etcd_new"
else
  mv -f "$etcd_new" "$K8S_DIR/manifests/etcd.yaml"
  log "reconcile: updated etcd's flags and resources in place"
fi
if [[ $(manifest_sums) != "$before" ]]; then
  # Hold the Lease until this master serves again; one that does not come back keeps the others from restarting
  # theirs until the Lease expires, and after that the member-health check above still stops them.
  keep_lease=1
  ksleep 20
  retry_with_backoff 20 30 etcd_ready || die "reconcile: etcd did not come back; keeping the Lease until it expires"
  retry_with_backoff 20 30 api_local_ready || die "reconcile: the API server did not come back; keeping the Lease until it expires"
  keep_lease=0
fi
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
