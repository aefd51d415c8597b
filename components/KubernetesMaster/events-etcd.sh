#!/usr/bin/env bash
# This master's member of the events etcd (report 001: events split off into their own etcd), brought up one
# master at a time so that no master waits for another that is waiting for it:
#   - the master that ran `kubeadm init` and finds no events etcd on the other masters starts a one-member cluster;
#   - every other master (and any master whose events data is gone: new instance, stop/start of the instance
#     store) joins the running cluster as a learner (`etcdctl member add --learner`: the voting quorum does not
#     change until it has caught up), starts with the full --initial-cluster etcd printed and
#     --initial-cluster-state=existing, then is promoted;
#   - a member whose data dir exists keeps the --initial-cluster flags it was started with (etcd ignores them once
#     initialised, but a later wipe must never turn it into a one-member cluster) and only takes the template's
#     other flags.
# The API server is pointed at the events etcd (--etcd-servers-overrides) only afterwards, by the reconcile, once
# this member answers /health. kubeadm init and join never depend on it.
# The template (/etc/kilonode/etcd-events.yaml) is the static pod with __INITIAL_CLUSTER__ and
# __INITIAL_CLUSTER_STATE__ left for this script to fill in.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${MASTER_INDEX:?}" "${NODE_IP:?}" "${MASTER_IPS:?}"
K8S_DIR=${KILONODE_K8S_DIR:-/etc/kubernetes}
STATE_DIR=${KILONODE_STATE_DIR:-/var/lib/kilonode}
DATA_DIR=${KILONODE_ETCD_EVENTS_DIR:-/var/lib/etcd-events}
TEMPLATE=${KILONODE_EVENTS_TEMPLATE:-/etc/kilonode/etcd-events.yaml}
PKI=/etc/kubernetes/pki/etcd # inside the main etcd container (kubeadm mounts the host dir at the same path)
manifest="$K8S_DIR/manifests/etcd-events.yaml"
name="events-$MASTER_INDEX"
peer="https://$NODE_IP:2383"

[[ -f $TEMPLATE ]] || die "events-etcd: $TEMPLATE missing"
events_ready() { curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:2384/health; }

# write_manifest INITIAL_CLUSTER STATE: the template filled in, moved into place in one rename (the kubelet ignores
# dot files, so it never sees a half-written manifest).
write_manifest() {
  local t tmp="$K8S_DIR/manifests/.etcd-events.yaml.kilonode"
  t=$(<"$TEMPLATE")
  t=${t//__INITIAL_CLUSTER__/$1}
  t=${t//__INITIAL_CLUSTER_STATE__/$2}
  if [[ -f $manifest && $(<"$manifest") == "$t" ]]; then return 0; fi
  (umask 077 && printf '%s\n' "$t" >"$tmp")
  mv -f "$tmp" "$manifest"
  log "events-etcd: wrote $manifest (--initial-cluster-state=$2)"
}
flag_of() { sed -n "s/^ *- --$1=//p" "$manifest" | head -n1; }

if [[ -d $DATA_DIR/member && -f $manifest ]]; then
  cluster=$(flag_of initial-cluster)
  state=$(flag_of initial-cluster-state)
  [[ -n $cluster && -n $state ]] || die "events-etcd: $manifest has no --initial-cluster/--initial-cluster-state"
  write_manifest "$cluster" "$state"
  retry_with_backoff "${EVENTS_WAIT_ATTEMPTS:-20}" 30 events_ready || die "events-etcd: member $name is not healthy"
  log "events-etcd: member $name is healthy"
  exit 0
fi

# No data here. A manifest left from before would start an empty member that the cluster no longer knows: stop it.
if [[ -f $manifest ]]; then
  rm -f "$manifest"
  log "events-etcd: $DATA_DIR is empty; stopped the old member before re-joining"
fi

# etcdctl from the main etcd's container (the host has none), with the etcd CA's health-check client certificate.
cid=$(crictl ps --state running --label io.kubernetes.container.name=etcd -o json |
  jq -r '.containers[] | select(.labels["io.kubernetes.pod.name"] | startswith("etcd-events") | not) | .id' | head -n1)
[[ -n $cid ]] || die "events-etcd: no running etcd container to run etcdctl in"
ectl() {
  crictl exec "$cid" etcdctl --dial-timeout=5s --command-timeout=15s --cacert="$PKI/ca.crt" \
    --cert="$PKI/healthcheck-client.crt" --key="$PKI/healthcheck-client.key" "$@"
}

# The running events cluster, asked through any other master's member.
endpoint=""
members=""
IFS=, read -ra ips <<<"$MASTER_IPS"
for ip in "${ips[@]}"; do
  [[ $ip == "$NODE_IP" ]] && continue
  if out=$(ectl --endpoints="https://$ip:2382" member list -w simple 2>/dev/null) && [[ -n $out ]]; then
    endpoint="https://$ip:2382"
    members=$out
    break
  fi
done

if [[ -z $endpoint ]]; then
  if [[ -f $STATE_DIR/cluster-initialised-here ]]; then
    # This master created the Kubernetes cluster and no other master runs an events etcd: a new one, of one.
    write_manifest "$name=$peer" new
  else
    die "events-etcd: no events etcd answers on the other masters ($MASTER_IPS); not starting a second cluster"
  fi
else
  # member list -w simple: ID, status, name, peer URLs, client URLs, is-learner (IDs in hex, as member remove wants).
  while IFS=', ' read -r id _ mname mpeer _; do
    if [[ $mname == "$name" || $mpeer == "$peer" ]]; then
      log "events-etcd: removing the earlier $name ($id) from the events cluster"
      ectl --endpoints="$endpoint" member remove "$id" >/dev/null
    fi
  done <<<"$members"
  added=$(ectl --endpoints="$endpoint" member add "$name" --peer-urls="$peer" --learner) ||
    die "events-etcd: member add $name failed"
  cluster=$(sed -n 's/^ETCD_INITIAL_CLUSTER="\(.*\)"$/\1/p' <<<"$added")
  # A joining member must name the cluster it joins; a one-member list would start a cluster of its own.
  [[ $cluster == *"$name=$peer"* && $cluster == *,* ]] ||
    die "events-etcd: member add gave no usable initial cluster (${cluster:-none})"
  write_manifest "$cluster" existing
fi

retry_with_backoff "${EVENTS_WAIT_ATTEMPTS:-20}" 30 events_ready || die "events-etcd: member $name did not become healthy"

if [[ -n $endpoint ]]; then
  id=$(ectl --endpoints="$endpoint" member list -w simple | awk -F', ' -v n="$name" '$3 == n && $6 == "true" {print $1}')
  if [[ -n $id ]]; then
    # Refused until the learner has caught up with the leader; retried.
    retry_with_backoff 20 15 ectl --endpoints="$endpoint" member promote "$id" >/dev/null ||
      die "events-etcd: could not promote $name"
  fi
fi
log "events-etcd: member $name is healthy"
