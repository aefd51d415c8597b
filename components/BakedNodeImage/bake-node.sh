#!/usr/bin/env bash
# EC2 Image Builder's build instance (bake.NodeImageDocument runs it from the AWSTOE document):
#   packages  - the boot path's own installer (install-kubernetes.sh), then the held kernel as GRUB's default
#   images    - (after the reboot into that kernel) every locked node image pulled by digest from the stack's ECR,
#               tagged as kubeadm names it; vrouter.ko built for the running kernel by the release's own
#               kernel-build-init image, through the vRouter pods' own kernel-init wrapper, which must then find
#               it (a pod start on this image compiles nothing); /etc/kilonode/baked.json written last
#   validate  - the marker, the versions, the images and the module (as the wrapper checks it) are all there
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${KUBERNETES_VERSION:?} ${KERNEL_SERIES:?} ${KERNEL_PACKAGE:?} ${KILONODE_REGION:?}"
: "${BAKE_REGISTRY:?} ${BAKE_IMAGES:?} ${VROUTER_KERNEL_INIT_IMAGE:?}"
R=${KILONODE_ROOT:-}
MARKER=$R/etc/kilonode/baked.json
BIN=${KILONODE_BIN:-/opt/kilonode}
KERNEL_RELEASE=${KILONODE_KERNEL_RELEASE:-$(uname -r)}

# The held kernel as GRUB's default: stock 24.04 AMIs may boot a newer linux-aws series, and vrouter.ko is built
# for the release's series only. Title path as Ubuntu's /etc/grub.d/10_linux writes it (submenu, then entry).
grub_default_held_kernel() {
  local newest
  newest=$(find "$R/boot" -maxdepth 1 -name "vmlinuz-$KERNEL_SERIES.*-aws" -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
  [[ -n $newest ]] || die "bake: no $KERNEL_SERIES.*-aws kernel in $R/boot after installing $KERNEL_PACKAGE"
  install -d "$R/etc/default/grub.d"
  printf 'GRUB_DEFAULT="Advanced options for Ubuntu>Ubuntu, with Linux %s"\n' "$newest" \
    >"$R/etc/default/grub.d/99-kilonode-kernel.cfg"
  update-grub
  log "bake: GRUB boots $newest next"
}

# BAKE_IMAGES: "digest-ref=tag-ref" pairs, comma-separated (the env file has no spaces). Pulled by digest (what
# manifests name), tagged as kubeadm names its images (it cannot use digests); the repositories' tags are immutable,
# so both names are the same bytes.
pull_images() {
  local password pair digest_ref tag_ref
  # The ECR token is a 12-hour pull credential for the stack's repositories only (the build role's policy);
  # ctr takes it as --user, so it is in this process's argv on a machine nobody else runs on.
  password=$(retry_with_backoff 5 30 aws ecr get-login-password --region "$KILONODE_REGION") \
    || die "bake: cannot get an ECR login for $BAKE_REGISTRY"
  for pair in ${BAKE_IMAGES//,/ }; do
    digest_ref=${pair%%=*}
    tag_ref=${pair#*=}
    log "bake: pull $digest_ref"
    retry_with_backoff 5 30 ctr -n k8s.io images pull --user "AWS:$password" "$digest_ref" >/dev/null \
      || die "bake: pulling $digest_ref failed"
    ctr -n k8s.io images tag --force "$digest_ref" "$tag_ref" >/dev/null
  done
  unset password
}

# The release's kernel-build-init image run as the vRouter pods run it: the wrapper (vrouter-kernel-init.sh, from
# components/ContrailCni) with the host's /usr/src and /lib/modules. On this fresh instance it execs the image's
# entrypoint, which compiles vrouter.ko with DKMS for `uname -r` into the host's /lib/modules. With --check it only
# says whether a pod start of this image would compile again (exit 1) or find the module (exit 0).
run_kernel_init() {
  local name=$1
  shift
  ctr -n k8s.io run --rm --privileged --net-host \
    --mount type=bind,src=/usr/src,dst=/usr/src,options=rbind:rw \
    --mount type=bind,src=/lib/modules,dst=/lib/modules,options=rbind:rw \
    --mount type=bind,src=/var/log/contrail,dst=/var/log/contrail,options=rbind:rw \
    --mount "type=bind,src=$BIN/vrouter-kernel-init.sh,dst=/opt/kilonode/vrouter-kernel-init.sh,options=rbind:ro" \
    "$VROUTER_KERNEL_INIT_IMAGE" "$name-$$" /bin/bash /opt/kilonode/vrouter-kernel-init.sh "$@"
}

build_vrouter_module() {
  install -d "$R/var/log/contrail"
  run_kernel_init kilonode-vrouter-build || die "bake: the vRouter kernel-build-init container failed"
  [[ -f $R/lib/modules/$KERNEL_RELEASE/updates/dkms/vrouter.ko ]] \
    || die "bake: no vrouter.ko for $KERNEL_RELEASE after the build"
  run_kernel_init kilonode-vrouter-check --check \
    || die "bake: a vRouter pod start on this image would compile vrouter.ko again (the wrapper's reason above)"
}

write_marker() {
  local images=() pair
  for pair in ${BAKE_IMAGES//,/ }; do images+=("${pair%%=*}"); done
  install -d "$R/etc/kilonode"
  jq -n --arg k "$KUBERNETES_VERSION" --arg p "$KERNEL_PACKAGE" --arg s "$KERNEL_SERIES" --arg r "$KERNEL_RELEASE" \
    '{kubernetesVersion: $k, kernelPackage: $p, kernelSeries: $s, kernelRelease: $r,
      vrouterModule: ("/lib/modules/" + $r + "/updates/dkms/vrouter.ko"), images: $ARGS.positional}' \
    --args "${images[@]}" >"$MARKER.new"
  mv "$MARKER.new" "$MARKER"
}

validate() {
  local pair present
  [[ -s $MARKER ]] || die "validate: $MARKER missing"
  [[ $(jq -r .kubernetesVersion "$MARKER") == "$KUBERNETES_VERSION" ]] || die "validate: marker is not for Kubernetes $KUBERNETES_VERSION"
  [[ $(jq -r .kernelPackage "$MARKER") == "$KERNEL_PACKAGE" ]] || die "validate: marker is not for $KERNEL_PACKAGE"
  [[ $(kubeadm version -o short) == "v$KUBERNETES_VERSION" ]] || die "validate: kubeadm is not v$KUBERNETES_VERSION"
  "$BIN/install-kubernetes.sh" check-kernel || die "validate: not running the $KERNEL_SERIES kernel"
  [[ -f $R/lib/modules/$KERNEL_RELEASE/updates/dkms/vrouter.ko ]] || die "validate: no vrouter.ko for $KERNEL_RELEASE"
  present=$(ctr -n k8s.io images ls -q)
  for pair in ${BAKE_IMAGES//,/ }; do
    grep -qxF "${pair%%=*}" <<<"$present" || die "validate: ${pair%%=*} not in containerd"
    grep -qxF "${pair#*=}" <<<"$present" || die "validate: ${pair#*=} not in containerd"
  done
  run_kernel_init kilonode-vrouter-check --check \
    || die "validate: a vRouter pod start would compile vrouter.ko again (the wrapper's reason above)"
  log "validate: Kubernetes $KUBERNETES_VERSION, kernel $KERNEL_RELEASE with vrouter.ko, $(tr , '\n' <<<"$BAKE_IMAGES" | wc -l) images"
}

case ${1:-} in
  packages)
    "$BIN/install-kubernetes.sh"
    grub_default_held_kernel
    # The boot path decides from baked.json, not from the bake's own state.
    rm -f "$KILONODE_STATE_DIR"/install-kubernetes-*.done
    ;;
  images)
    "$BIN/install-kubernetes.sh" check-kernel || die "bake: the reboot did not bring up the $KERNEL_SERIES kernel"
    pull_images
    build_vrouter_module
    write_marker
    log "bake: $MARKER written"
    ;;
  validate) validate ;;
  *) die "usage: bake-node.sh packages|images|validate" ;;
esac
