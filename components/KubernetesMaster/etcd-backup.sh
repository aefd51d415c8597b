#!/usr/bin/env bash
# Periodic etcd snapshot to S3 (report 001 ran etcd on local SSD with barriers off *because* there were
# off-node backups). Every master runs the timer, but only the current etcd leader uploads: backups go on
# when master 0 is gone, and a leader change mid-run at worst gives one duplicate or skipped interval.
# The events etcd is not backed up (events are disposable).
# Exit 0 on upload or when this member is positively not the leader. Anything else fails the unit loudly:
# no etcd container, etcd that cannot be asked (expired client certificate, hung etcd), a failed snapshot
# or upload. latest.db is replaced only after the new snapshot is safely in S3, and the upload is counted in
# CloudWatch (${METRIC_NAMESPACE}/SnapshotUploaded): the stack's alarm fires when an interval passes without one.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${BACKUP_BUCKET:?}" "${BACKUP_PREFIX:?}" "${KILONODE_STACK:?}"
ETCD_DIR=${KILONODE_ETCD_DIR:-/var/lib/etcd}
PKI=${KILONODE_ETCD_PKI:-/etc/kubernetes/pki/etcd} # path inside the etcd container (kubeadm mounts the host dir there)
ENDPOINT=${ETCD_ENDPOINT:-https://127.0.0.1:2379}
SSE=${BACKUP_SSE:-AES256}
NAMESPACE=${METRIC_NAMESPACE:-Kilonode/Etcd}
ASK_TIMEOUT=${ETCD_BACKUP_TIMEOUT_SECONDS:-30}         # status: etcd that cannot answer this fast cannot be backed up
SNAPSHOT_TIMEOUT=${ETCD_SNAPSHOT_TIMEOUT_SECONDS:-900} # an 8 GiB database streams for minutes

# The main etcd container (not the events etcd, whose pod is etcd-events-<node>).
cid=$(crictl ps --state running --label io.kubernetes.container.name=etcd -o json |
  jq -r '.containers[] | select(.labels["io.kubernetes.pod.name"] | startswith("etcd-events") | not) | .id' | head -n1)
[[ -n $cid ]] || die "etcd-backup: no running etcd container"

# etcdctl SECONDS ARGS...: `timeout` bounds a hung etcd (or a hung exec) that --command-timeout alone would not.
etcdctl() {
  local t=$1
  shift
  timeout "$t" crictl exec "$cid" etcdctl --endpoints="$ENDPOINT" --cacert="$PKI/ca.crt" \
    --cert="$PKI/healthcheck-client.crt" --key="$PKI/healthcheck-client.key" --dial-timeout=10s \
    --command-timeout="$((t - 2))s" "$@"
}

status=$(etcdctl "$ASK_TIMEOUT" endpoint status -w fields 2>&1) ||
  die "etcd-backup: cannot ask etcd at $ENDPOINT for its status (expired client certificate? hung etcd?): ${status//$'\n'/ }"
# Compare the 64-bit member IDs as strings: jq, and awk's numeric compare, round them to doubles.
member=$(awk -F' : ' '/^"MemberID"/{print $2 ""}' <<<"$status")
leader=$(awk -F' : ' '/^"Leader"/{print $2 ""}' <<<"$status")
[[ $member =~ ^[0-9]+$ && $leader =~ ^[0-9]+$ ]] || die "etcd-backup: no MemberID/Leader in etcd's status: ${status//$'\n'/ }"
if [[ $leader == 0 ]]; then die "etcd-backup: etcd at $ENDPOINT has no leader"; fi
if [[ $member != "$leader" ]]; then
  log "etcd-backup: this member ($member) is not the etcd leader ($leader), skipping"
  exit 0
fi

# The snapshot lands in the etcd data dir, which is the same path on the host and in the container.
snap="$ETCD_DIR/kilonode-snapshot.db"
trap 'rm -f "$snap" "$snap.part"' EXIT
rm -f "$snap" "$snap.part"
out=$(etcdctl "$SNAPSHOT_TIMEOUT" snapshot save "$snap" 2>&1) || die "etcd-backup: snapshot save failed: ${out//$'\n'/ }"
[[ -s $snap ]] || die "etcd-backup: etcdctl wrote an empty snapshot"
ts=$(date -u +%Y%m%dT%H%M%SZ)
dest="s3://$BACKUP_BUCKET/$BACKUP_PREFIX"
retry_with_backoff 5 60 aws s3 cp --only-show-errors --sse "$SSE" "$snap" "$dest/$ts.db" ||
  die "etcd-backup: upload of $dest/$ts.db failed; latest.db left as it was"
# Server-side copy, only after the new snapshot is in S3: latest.db is what etcd-prepare.sh restores.
retry_with_backoff 5 60 aws s3 cp --only-show-errors --sse "$SSE" "$dest/$ts.db" "$dest/latest.db" ||
  die "etcd-backup: copy to $dest/latest.db failed"
# Keep the cluster marker fresh (the bucket's lifecycle rule would otherwise expire it): etcd-prepare.sh
# refuses to found a new cluster while it exists.
printf 'last snapshot %s by %s\n' "$ts" "$member" >"$snap.part"
retry_with_backoff 5 60 aws s3 cp --only-show-errors --sse "$SSE" "$snap.part" "$dest/cluster-created" ||
  die "etcd-backup: cannot refresh $dest/cluster-created"
log "etcd-backup: uploaded $dest/$ts.db ($(stat -c %s "$snap") bytes) and $dest/latest.db"
retry_with_backoff 5 60 aws cloudwatch put-metric-data --namespace "$NAMESPACE" --metric-name SnapshotUploaded \
  --dimensions "Stack=$KILONODE_STACK" --value 1 --unit Count ||
  die "etcd-backup: snapshot uploaded, but the SnapshotUploaded metric was not recorded (the alarm will fire)"
