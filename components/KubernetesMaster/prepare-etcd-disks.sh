#!/usr/bin/env bash
# Put etcd (and the events etcd) on the instance-store SSDs. Report 001: etcd is fsync-bound; local SSD
# only beat network disks after the ext4 write barrier was turned off (ETCD_WRITE_BARRIER=0), and
# events got their own etcd on their own disk (EVENTS_ETCD=1). Idempotent.
# Each SSD is mounted at $MNT_BASE<n> and a subdirectory is bind-mounted onto the data dir, so
# /var/lib/etcd starts empty (no lost+found) and kubeadm's DirAvailable preflight check passes.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"

FSTAB=${KILONODE_FSTAB:-/etc/fstab}
MNT_BASE=${KILONODE_MNT_BASE:-/mnt/kilonode-ssd}
ETCD_DIR=${KILONODE_ETCD_DIR:-/var/lib/etcd}
EVENTS_DIR=${KILONODE_ETCD_EVENTS_DIR:-/var/lib/etcd-events}
NVME_MODEL="Amazon EC2 NVMe Instance Storage"

# Instance-store disks in a stable order: xvdb/xvdc (m3 under Xen), sdb/sdc, else NVMe instance storage.
find_disks() {
  local name model xen=() scsi=() nvme=()
  while read -r name model; do
    case $name in
      /dev/xvdb | /dev/xvdc) xen+=("$name") ;;
      /dev/sdb | /dev/sdc) scsi+=("$name") ;;
      /dev/nvme*) [[ $model == "$NVME_MODEL" ]] && nvme+=("$name") ;;
    esac
  done < <(lsblk -dnpo NAME,MODEL | sort)
  if ((${#xen[@]})); then printf '%s\n' "${xen[@]}"
  elif ((${#scsi[@]})); then printf '%s\n' "${scsi[@]}"
  elif ((${#nvme[@]})); then printf '%s\n' "${nvme[@]}"; fi
}

# fstab_set SPEC TARGET TYPE OPTS: replace any line for TARGET.
fstab_set() {
  awk -v t="$2" '$2 != t' "$FSTAB" >"$FSTAB.kilonode"
  printf '%s %s %s %s 0 %s\n' "$1" "$2" "$3" "$4" "$([[ $3 == none ]] && echo 0 || echo 2)" >>"$FSTAB.kilonode"
  cat "$FSTAB.kilonode" >"$FSTAB" && rm -f "$FSTAB.kilonode"
}

# prepare_disk INDEX DEVICE: format if blank, mount at $MNT_BASE<INDEX> with the etcd options.
prepare_disk() {
  local idx=$1 dev=$2 mnt="$MNT_BASE$1" fstype uuid opts=defaults,noatime t
  # Ubuntu's cloud-init mounts ephemeral0 at /mnt by default: take the disk back.
  for t in $(findmnt -rno TARGET --source "$dev" || true); do
    [[ $t == "$mnt" ]] && continue
    log "unmounting $dev from $t (cloud-init default mount)"
    umount "$t"
    awk -v d="$dev" '$1 != d' "$FSTAB" >"$FSTAB.kilonode" && cat "$FSTAB.kilonode" >"$FSTAB" && rm -f "$FSTAB.kilonode"
  done
  fstype=$(blkid -o value -s TYPE "$dev" || true)
  if [[ -z $fstype ]]; then
    log "formatting $dev as ext4 (blank disk)"
    mkfs.ext4 -q -F -L "kilonode-ssd$idx" "$dev"
    fstype=ext4
  else
    log "$dev already has a $fstype filesystem; keeping it"
  fi
  # Report 001: the ext4 write barrier halved etcd throughput on local SSD; etcd fsyncs its WAL itself
  # and backups go to S3 (etcd-backup.sh). ETCD_WRITE_BARRIER=1 keeps the kernel default.
  if [[ ${ETCD_WRITE_BARRIER:-1} == 0 && $fstype == ext[34] ]]; then opts+=,barrier=0; fi
  uuid=$(blkid -o value -s UUID "$dev")
  mkdir -p "$mnt"
  fstab_set "UUID=$uuid" "$mnt" "$fstype" "$opts,nofail"
  if mountpoint -q "$mnt"; then mount -o "remount,$opts" "$mnt"; else mount -t "$fstype" -o "$opts" "$dev" "$mnt"; fi
  log "mounted $dev at $mnt ($opts)"
}

# bind_dir SRC TARGET: bind-mount SRC onto TARGET now and at boot.
bind_dir() {
  mkdir -p "$1" "$2"
  chmod 0700 "$1"
  fstab_set "$1" "$2" none "bind,nofail,x-systemd.requires-mounts-for=$(dirname "$1")"
  mountpoint -q "$2" || mount --bind "$1" "$2"
  log "$2 -> $1"
}

mapfile -t disks < <(find_disks)
if ((${#disks[@]} == 0)); then
  log "WARNING: no instance-store SSD found; etcd stays on the root volume"
  exit 0
fi
log "instance-store disks: ${disks[*]}"
prepare_disk 0 "${disks[0]}"
bind_dir "${MNT_BASE}0/etcd" "$ETCD_DIR"
if ((${#disks[@]} > 1)); then
  # The second SSD is always the events etcd's, so reconcile-control-plane.sh can start one later when
  # the cluster grows past the threshold without a new disk layout.
  prepare_disk 1 "${disks[1]}"
  bind_dir "${MNT_BASE}1/etcd-events" "$EVENTS_DIR"
elif [[ ${EVENTS_ETCD:-0} == 1 ]]; then
  log "only one SSD: events etcd shares it (separate directory)"
  bind_dir "${MNT_BASE}0/etcd-events" "$EVENTS_DIR"
fi
