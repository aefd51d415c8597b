#!/usr/bin/env bash
# Restore this master's etcd member from an S3 snapshot (written by etcd-backup.sh) into an empty data dir.
# Called by etcd-prepare.sh when it has decided to restore; an operator may run it by hand with the key of
# an older snapshot:  etcd-restore.sh <stack>/etcd/20260101T000000Z.db
# Exit 0 only when $ETCD_DIR/member holds the restored member; any failure (download, empty or corrupt
# snapshot, restore) is non-zero and leaves no member/ behind, so etcd cannot start empty in its place.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${BACKUP_BUCKET:?}" "${BACKUP_PREFIX:?}" "${NODE_IP:?}" "${ETCD_TOOLS_IMAGE:?}"
ETCD_DIR=${KILONODE_ETCD_DIR:-/var/lib/etcd}
PEER_PORT=${ETCD_PEER_PORT:-2380}
# etcd's disaster-recovery guide (op-guide/recovery, "Restoring a cluster"): bump the revision well past
# anything a client has seen and mark it compacted, so watchers (every Kubernetes informer) resuming from
# an old revision get "compacted" and re-list instead of silently missing the events after the restore.
BUMP=${ETCD_RESTORE_BUMP_REVISION:-1000000000}
key=${1:-$BACKUP_PREFIX/latest.db}
src="s3://$BACKUP_BUCKET/$key"
name=${NODE_NAME:-$(hostname)}

[[ ! -e $ETCD_DIR/member ]] || die "etcd-restore: $ETCD_DIR/member exists; refusing to restore over it"
work="$KILONODE_STATE_DIR/restore"
tmp="$ETCD_DIR/.kilonode-restore"
install -d -m 0700 "$work"
rm -rf "$tmp" "$work/snapshot.db"
trap 'rm -rf "$tmp" "$work/snapshot.db"' EXIT

log "etcd-restore: downloading $src"
retry_with_backoff 5 30 aws s3api get-object --bucket "$BACKUP_BUCKET" --key "$key" "$work/snapshot.db" >/dev/null ||
  die "etcd-restore: cannot download $src"
[[ -s $work/snapshot.db ]] || die "etcd-restore: $src is empty (0 bytes); refusing to restore it"
status=$(etcd_tool "$work" etcdutl snapshot status "$work/snapshot.db" -w json) ||
  die "etcd-restore: $src is not a readable etcd snapshot (etcdutl snapshot status failed)"
rev=$(jq -r '.revision' <<<"$status")
[[ $rev =~ ^[0-9]+$ ]] || die "etcd-restore: etcdutl snapshot status gave no revision for $src"

log "etcd-restore: restoring revision $rev as member $name at https://$NODE_IP:$PEER_PORT (+$BUMP revisions, compacted)"
etcd_tool "$work $ETCD_DIR" etcdutl snapshot restore "$work/snapshot.db" --data-dir "$tmp" --name "$name" \
  --initial-cluster "$name=https://$NODE_IP:$PEER_PORT" --initial-advertise-peer-urls "https://$NODE_IP:$PEER_PORT" \
  --bump-revision "$BUMP" --mark-compacted >&2 || die "etcd-restore: etcdutl snapshot restore of $src failed"
[[ -d $tmp/member ]] || die "etcd-restore: etcdutl left no member/ in $tmp"
# etcdutl wants a fresh data dir; move the result up so $ETCD_DIR holds only member/.
mv "$tmp/member" "$ETCD_DIR/member"
chmod 0700 "$ETCD_DIR"
log "etcd-restore: restored $src (revision $rev, now past $((rev + BUMP))) into $ETCD_DIR/member"
