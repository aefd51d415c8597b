#!/usr/bin/env bash
# Every boot, before the kubelet (kilonode-etcd-prepare.service): put the etcd data dirs on the instance-store
# SSDs, which a stop/start hands back blank, then decide where this member's data comes from and write the
# decision to $RUN_DIR/etcd-decision for kubeadm-bootstrap.sh:
#   existing  the data dir already holds a member (plain reboot)
#   join      a live cluster answers (or this is master 1..N on first boot): kubeadm join adds this member
#   rejoined  bootstrapped master whose data was wiped, live cluster: re-added as a member in place
#   restored  master 0, no live member, S3 holds latest.db: restored from it (restore below)
#   new       master 0, no live member, and S3 positively says there is neither a snapshot nor a cluster marker
# "Could not tell" (S3 or network error, wrong bucket, access denied, empty or corrupt snapshot) exits non-zero
# with the reason: the unit fails, the kubelet (which requires it) stays down with etcd, kubeadm never runs.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${MASTER_INDEX:?}" "${NODE_IP:?}" "${MASTER_IPS:?}" "${BACKUP_BUCKET:?}" "${BACKUP_PREFIX:?}" "${ETCD_TOOLS_IMAGE:?}"
HERE=$(dirname "${BASH_SOURCE[0]}")
ETCD_DIR=${KILONODE_ETCD_DIR:-/var/lib/etcd}
K8S_DIR=${KILONODE_K8S_DIR:-/etc/kubernetes}
PKI_DIR=${KILONODE_PKI_DIR:-$K8S_DIR/pki}
RUN_DIR=${KILONODE_RUN_DIR:-/run/kilonode}
CLIENT_PORT=${ETCD_CLIENT_PORT:-2379}
PEER_PORT=${ETCD_PEER_PORT:-2380}
SSE=${BACKUP_SSE:-AES256}
MARKER="$BACKUP_PREFIX/cluster-created"
decision_file="$RUN_DIR/etcd-decision"
manifest="$K8S_DIR/manifests/etcd.yaml"
name=${NODE_NAME:-$(hostname)}
peer_url="https://$NODE_IP:$PEER_PORT"

install -d -m 0700 "$RUN_DIR"
rm -f "$decision_file"
decide() {
  printf '%s\n' "$1" >"$decision_file"
  log "etcd-prepare: decision: $1 ($2)"
  exit 0
}

"$HERE/prepare-etcd-disks.sh" || die "etcd-prepare: preparing the etcd disks failed"
# The timers' scripts (etcd-backup.sh, ...) live in SSM: EC2's 16 KB user-data has no room for them. Refreshed every
# boot; not fatal for etcd (a missing backup script means no uploads, and the stale-snapshot alarm fires).
BIN_DIR=${KILONODE_BIN_DIR:-/opt/kilonode}
IFS=, read -ra ssm_scripts <<<"${SSM_SCRIPTS:-}"
for s in "${ssm_scripts[@]}"; do
  if body=$(retry_with_backoff 3 10 ssm_get "${SSM_PREFIX:?}/control-plane/bin/$s") && [[ -n $body ]]; then
    printf '%s\n' "$body" >"$BIN_DIR/.$s.new" && chmod 0755 "$BIN_DIR/.$s.new" && mv -f "$BIN_DIR/.$s.new" "$BIN_DIR/$s"
  else
    log "etcd-prepare: WARNING: cannot read $SSM_PREFIX/control-plane/bin/$s; $BIN_DIR/$s stays as it is"
  fi
done
[[ -f $PKI_DIR/etcd/ca.key ]] || "$HERE/fetch-pki.sh" || die "etcd-prepare: cannot fetch the cluster PKI from SSM"

# A throwaway client certificate from the etcd CA (a fresh master has no kubeadm client certificate yet).
probe="$RUN_DIR/etcd-probe"
install -d -m 0700 "$probe"
trap 'rm -rf "$probe"' EXIT
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=kilonode-etcd-probe" \
  -keyout "$probe/client.key" -out "$probe/client.csr" 2>/dev/null || die "etcd-prepare: openssl req failed"
openssl x509 -req -in "$probe/client.csr" -CA "$PKI_DIR/etcd/ca.crt" -CAkey "$PKI_DIR/etcd/ca.key" \
  -set_serial "0x$(openssl rand -hex 12)" -days 1 -extfile <(printf 'extendedKeyUsage=clientAuth\n') \
  -out "$probe/client.crt" 2>/dev/null || die "etcd-prepare: cannot sign the probe certificate"

# etcdctl_at ENDPOINT ARGS...
etcdctl_at() {
  local ep=$1
  shift
  etcd_tool "$PKI_DIR/etcd $probe" etcdctl --endpoints="$ep" --cacert="$PKI_DIR/etcd/ca.crt" \
    --cert="$probe/client.crt" --key="$probe/client.key" --dial-timeout=5s --command-timeout=15s "$@"
}

# shellcheck disable=SC2317 # called through retry_with_backoff
# find_live: the client URL of another master whose etcd answers a member list, or non-zero.
find_live() {
  local ip ep
  IFS=, read -ra ips <<<"$MASTER_IPS"
  for ip in "${ips[@]}"; do
    [[ $ip == "$NODE_IP" ]] && continue
    ep="https://$ip:$CLIENT_PORT"
    if etcdctl_at "$ep" member list >/dev/null 2>&1; then printf '%s\n' "$ep"; return 0; fi
    log "etcd-prepare: no etcd answers at $ep"
  done
  return 1
}

# drop_stale EP: remove members that still carry this master's peer URL (the instance it replaces, or
# itself before its data was wiped); kubeadm join and member add refuse a peer URL that is already there.
drop_stale() {
  local id
  for id in $(etcdctl_at "$1" member list -w simple | awk -F', ' -v u="$peer_url" '$4 == u {print $1}'); do
    log "etcd-prepare: removing stale member $id ($peer_url)"
    etcdctl_at "$1" member remove "$id" >&2 || die "etcd-prepare: cannot remove stale member $id"
  done
}

bootstrapped=0
[[ -f $manifest ]] && bootstrapped=1
attempts=1
# A bootstrapped master 1..N whose data was wiped waits for master 0's cluster; on first boot it need not
# (kubeadm join waits for the API), and master 0 looks once, then asks S3.
[[ $MASTER_INDEX != 0 && $bootstrapped == 1 ]] && attempts=${ETCD_PROBE_ATTEMPTS:-20}
if live=$(retry_with_backoff "$attempts" 30 find_live); then
  log "etcd-prepare: live cluster at $live"
  drop_stale "$live"
  if [[ $bootstrapped == 0 ]]; then decide join "kubeadm join adds this member through $live"; fi
  # etcd refuses a member add until every remaining member has been connected for a few seconds
  # (--strict-reconfig-check: "unhealthy cluster" right after the remove); bounded retries.
  added=$(retry_with_backoff 8 10 etcdctl_at "$live" member add "$name" --peer-urls="$peer_url") ||
    die "etcd-prepare: member add failed at $live"
  initial=$(sed -n 's/^ETCD_INITIAL_CLUSTER="\(.*\)"$/\1/p' <<<"$added")
  [[ -n $initial ]] || die "etcd-prepare: member add gave no ETCD_INITIAL_CLUSTER"
  # The kubelet starts etcd from this manifest: join the existing cluster instead of founding a new one.
  sed -i -E -e "s|^( *- --initial-cluster=).*|\1$initial|" -e '/^ *- --initial-cluster-state=/d' \
    -e "s|^( *)(- --initial-cluster=.*)$|\1\2\n\1- --initial-cluster-state=existing|" "$manifest"
  decide rejoined "member $name re-added at $live; $manifest now joins $initial"
fi
[[ $MASTER_INDEX == 0 ]] || decide join "no live member yet; kubeadm join waits for master 0's API"

# Master 0 with no live member: S3 decides, and only a positive "not there" counts.
# head_state KEY: prints present/absent; non-zero (with the reason) when S3 cannot tell. HeadObject on a
# missing bucket is also a 404, so the bucket itself is checked first.
head_state() {
  local err
  if err=$(aws s3api head-object --bucket "$BACKUP_BUCKET" --key "$1" 2>&1 >/dev/null); then echo present; return 0; fi
  if [[ $err == *"(404)"* || $err == *"(NoSuchKey)"* ]]; then echo absent; return 0; fi
  log "etcd-prepare: cannot tell whether s3://$BACKUP_BUCKET/$1 exists: ${err//$'\n'/ }"
  return 1
}
if ! err=$(aws s3api head-bucket --bucket "$BACKUP_BUCKET" 2>&1 >/dev/null); then
  die "etcd-prepare: cannot reach the snapshot bucket s3://$BACKUP_BUCKET (${err//$'\n'/ }); not starting etcd"
fi
snap=$(head_state "$BACKUP_PREFIX/latest.db") || die "etcd-prepare: cannot tell whether a snapshot exists; not starting etcd"
# restore: latest.db into an empty data dir as a one-member cluster. Any failure (download, empty or corrupt
# snapshot, etcdutl) leaves no member/ behind, so etcd cannot start empty in its place.
restore() {
  local src="s3://$BACKUP_BUCKET/$BACKUP_PREFIX/latest.db" work="$KILONODE_STATE_DIR/restore" tmp="$ETCD_DIR/.kilonode-restore" status rev
  # etcd's disaster-recovery guide (op-guide/recovery, "Restoring a cluster"): bump the revision well past anything
  # a client has seen and mark it compacted, so watchers (every Kubernetes informer) resuming from an old revision
  # are told to re-list instead of silently missing the events after the restore.
  local bump=${ETCD_RESTORE_BUMP_REVISION:-1000000000}
  install -d -m 0700 "$work"
  rm -rf "$tmp" "$work/snapshot.db"
  log "etcd-prepare: downloading $src"
  retry_with_backoff 5 30 aws s3api get-object --bucket "$BACKUP_BUCKET" --key "$BACKUP_PREFIX/latest.db" \
    "$work/snapshot.db" >/dev/null || { log "etcd-prepare: cannot download $src"; return 1; }
  [[ -s $work/snapshot.db ]] || { log "etcd-prepare: $src is empty (0 bytes); refusing to restore it"; return 1; }
  status=$(etcd_tool "$work" etcdutl snapshot status "$work/snapshot.db" -w json) ||
    { log "etcd-prepare: $src is not a readable etcd snapshot (etcdutl snapshot status failed)"; return 1; }
  rev=$(jq -r '.revision' <<<"$status")
  [[ $rev =~ ^[0-9]+$ ]] || { log "etcd-prepare: etcdutl snapshot status gave no revision for $src"; return 1; }
  log "etcd-prepare: restoring revision $rev as member $name at $peer_url (+$bump revisions, compacted)"
  etcd_tool "$work $ETCD_DIR" etcdutl snapshot restore "$work/snapshot.db" --data-dir "$tmp" --name "$name" \
    --initial-cluster "$name=$peer_url" --initial-advertise-peer-urls "$peer_url" \
    --bump-revision "$bump" --mark-compacted >&2 || { log "etcd-prepare: etcdutl snapshot restore of $src failed"; return 1; }
  [[ -d $tmp/member ]] || { log "etcd-prepare: etcdutl left no member/ in $tmp"; return 1; }
  # etcdutl wants a fresh data dir; move the result up so $ETCD_DIR holds only member/.
  mv "$tmp/member" "$ETCD_DIR/member"
  rm -rf "$tmp" "$work/snapshot.db"
  chmod 0700 "$ETCD_DIR"
  log "etcd-prepare: restored $src (revision $rev, now past $((rev + bump))) into $ETCD_DIR/member"
}
if [[ $snap == present ]]; then
  restore || die "etcd-prepare: restore failed; not starting etcd"
  decide restored "s3://$BACKUP_BUCKET/$BACKUP_PREFIX/latest.db"
fi
marker=$(head_state "$MARKER") || die "etcd-prepare: cannot tell whether a cluster was created; not starting etcd"
if [[ $marker == present ]]; then
  die "etcd-prepare: s3://$BACKUP_BUCKET/$MARKER says a cluster was created, but there is no snapshot and no live" \
    "member; refusing to start an empty one (README, 'etcd: restore and replacement')"
fi
printf 'created by %s (%s) at %s\n' "$name" "$NODE_IP" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$RUN_DIR/cluster-created"
aws s3api put-object --bucket "$BACKUP_BUCKET" --key "$MARKER" --body "$RUN_DIR/cluster-created" \
  --server-side-encryption "$SSE" >/dev/null || die "etcd-prepare: cannot write s3://$BACKUP_BUCKET/$MARKER"
decide new "no live member, no snapshot and no cluster marker in s3://$BACKUP_BUCKET/$BACKUP_PREFIX"
