#!/usr/bin/env bash
# Periodic etcd snapshot to S3 (report 001 ran etcd on local SSD with barriers off *because* there were
# off-node backups). Every master runs the timer, but only the current etcd leader uploads: backups go
# on when master 0 is gone, and a leader change mid-run at worst gives one duplicate or skipped interval.
# The events etcd is not backed up (events are disposable). Exit 0 on upload or "not leader".
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${BACKUP_BUCKET:?}" "${BACKUP_PREFIX:?}"
ETCD_DIR=${KILONODE_ETCD_DIR:-/var/lib/etcd}
PKI=/etc/kubernetes/pki/etcd # path inside the etcd container (kubeadm mounts the host dir at the same path)
SSE=${BACKUP_SSE:-AES256}

# The main etcd container (not the events etcd, whose pod is etcd-events-<node>).
cid=$(crictl ps --state running --label io.kubernetes.container.name=etcd -o json |
  jq -r '.containers[] | select(.labels["io.kubernetes.pod.name"] | startswith("etcd-events") | not) | .id' | head -n1)
[[ -n $cid ]] || die "etcd-backup: no running etcd container"

etcdctl() {
  crictl exec "$cid" etcdctl --endpoints=https://127.0.0.1:2379 --cacert="$PKI/ca.crt" \
    --cert="$PKI/healthcheck-client.crt" --key="$PKI/healthcheck-client.key" "$@"
}

# Compare the 64-bit member IDs as strings: jq, and awk's numeric compare, round them to doubles.
if ! etcdctl endpoint status -w fields | awk -F' : ' '/^"MemberID"/{m=$2 ""} /^"Leader"/{l=$2 ""} END{exit !(m != "" && m == l)}'; then
  log "etcd-backup: this member is not the etcd leader, skipping"
  exit 0
fi

# The snapshot lands in the etcd data dir, which is the same path on the host and in the container.
snap="$ETCD_DIR/kilonode-snapshot.db"
trap 'rm -f "$snap" "$snap.part"' EXIT
etcdctl snapshot save "$snap" >/dev/null
[[ -s $snap ]] || die "etcd-backup: empty snapshot"
ts=$(date -u +%Y%m%dT%H%M%SZ)
dest="s3://$BACKUP_BUCKET/$BACKUP_PREFIX"
retry_with_backoff 5 60 aws s3 cp --only-show-errors --sse "$SSE" "$snap" "$dest/$ts.db"
# Server-side copy: latest.db is what etcd-restore.sh reads on a fresh master 0.
retry_with_backoff 5 60 aws s3 cp --only-show-errors --sse "$SSE" "$dest/$ts.db" "$dest/latest.db"
log "etcd-backup: uploaded $dest/$ts.db ($(stat -c %s "$snap") bytes) and $dest/latest.db"
