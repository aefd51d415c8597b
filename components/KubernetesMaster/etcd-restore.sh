#!/usr/bin/env bash
# Disaster recovery without a human: a fresh master 0 whose etcd dir is empty restores the newest S3
# snapshot (written by etcd-backup.sh) before `kubeadm init`, which then runs with
# --ignore-preflight-errors=DirAvailable--var-lib-etcd (kubeadm-bootstrap.sh reads the marker below).
# Exit 0 when restored or when there is nothing to restore; non-zero on a failed restore.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
ETCD_DIR=${KILONODE_ETCD_DIR:-/var/lib/etcd}
marker="$KILONODE_STATE_DIR/etcd-restored"

# Only master 0 restores; masters 1..2 join the restored member with kubeadm.
if [[ ${MASTER_INDEX:-0} != 0 ]]; then log "etcd-restore: MASTER_INDEX=$MASTER_INDEX, nothing to do"; exit 0; fi
if [[ -d $ETCD_DIR/member ]]; then log "etcd-restore: $ETCD_DIR/member exists, nothing to do"; exit 0; fi
: "${BACKUP_BUCKET:?}" "${BACKUP_PREFIX:?}" "${NODE_IP:?}" "${KUBERNETES_VERSION:?}"
src="s3://$BACKUP_BUCKET/$BACKUP_PREFIX/latest.db"
if ! aws s3 ls "$src" >/dev/null 2>&1; then log "etcd-restore: no snapshot at $src, starting a new cluster"; exit 0; fi

install -d -m 0700 "$KILONODE_STATE_DIR/restore"
snap="$KILONODE_STATE_DIR/restore/latest.db"
log "etcd-restore: downloading $src"
retry_with_backoff 5 30 aws s3 cp --only-show-errors "$src" "$snap"

# etcdutl comes from the very etcd image kubeadm will run, so the snapshot format always matches.
image=$(kubeadm config images list --kubernetes-version "v$KUBERNETES_VERSION" | grep /etcd:)
name=${NODE_NAME:-$(hostname)}
log "etcd-restore: restoring with $image as member $name at https://$NODE_IP:2380"
retry_with_backoff 5 30 ctr -n k8s.io images pull "$image" >/dev/null
tmp="$ETCD_DIR/.kilonode-restore"
rm -rf "$tmp"
ctr -n k8s.io run --rm --net-host \
  --mount "type=bind,src=$ETCD_DIR,dst=$ETCD_DIR,options=rbind:rw" \
  --mount "type=bind,src=$KILONODE_STATE_DIR/restore,dst=/restore,options=rbind:ro" \
  "$image" "kilonode-etcd-restore-$$" \
  etcdutl snapshot restore /restore/latest.db --data-dir "$tmp" --name "$name" \
  --initial-cluster "$name=https://$NODE_IP:2380" --initial-advertise-peer-urls "https://$NODE_IP:2380"
# etcdutl wants a fresh data dir; move the result up so $ETCD_DIR holds only member/.
mv "$tmp/member" "$ETCD_DIR/member"
rm -rf "$tmp" "$snap"
chmod 0700 "$ETCD_DIR"
date -u +%Y-%m-%dT%H:%M:%SZ >"$marker"
log "etcd-restore: restored $src into $ETCD_DIR/member"
