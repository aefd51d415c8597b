#!/usr/bin/env bash
# Prepare an Ubuntu node for kubeadm and the vRouter (kernel series, headers, hugepages, DNS, containerd,
# pinned kubelet/kubeadm/kubectl). Idempotent. `check-kernel`: the boot check (kilonode-kernel-check.service).
# The image bake (components/BakedNodeImage/bake-node.sh) runs this same script; on a node booted from that image
# /etc/kilonode/baked.json names what it holds, and the package installs are skipped when it matches.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${KUBERNETES_VERSION:?} ${KUBERNETES_MINOR:?} ${KERNEL_SERIES:?} ${KERNEL_PACKAGE:?} ${KERNEL_HEADERS_PACKAGE:?}"
: "${HUGE_PAGES_2MB:?}"
KERNEL_RELEASE=${KILONODE_KERNEL_RELEASE:-$(uname -r)}
R=${KILONODE_ROOT:-}

# vrouter.ko is built on the node for the running kernel; the release supports one series (kernel.series).
kernel_supported() { [[ $KERNEL_RELEASE == "$KERNEL_SERIES".*-aws ]]; }
check_kernel() {
  if kernel_supported; then
    log "kernel: $KERNEL_RELEASE is in series $KERNEL_SERIES, which the vRouter builder compiles for"
    return 0
  fi
  log "ERROR: kernel: running $KERNEL_RELEASE, but the vRouter module is built only for $KERNEL_SERIES.*-aws" \
    "($KERNEL_PACKAGE); pod networking will not start. Boot $KERNEL_PACKAGE's kernel"
  return 1
}
if [[ ${1:-} == check-kernel ]]; then check_kernel; exit; fi
: "${PAUSE_IMAGE:?}" "${CREDENTIAL_PROVIDER_BIN_DIR:?}"
[[ -n ${CREDENTIAL_PROVIDER_S3_URI:-} || -n ${ECR_CREDENTIAL_PROVIDER_URL:-} ]] ||
  die "ecr-credential-provider: neither CREDENTIAL_PROVIDER_S3_URI nor ECR_CREDENTIAL_PROVIDER_URL in the env file"

# The kubelet's ECR credential provider. CREDENTIAL_PROVIDER_S3_URI: the object `kilonode images sync` copied into
# the stack's bucket, fetched with the instance role through the S3 gateway endpoint and checked against the image
# lock's CREDENTIAL_PROVIDER_SHA256 (rendered into the env file, never fetched); a denied, missing or failed download
# stops here. Without it (an image lock from before the entry) install_packages downloads ECR_CREDENTIAL_PROVIDER_URL
# from artifacts.k8s.io, checked only against the .sha256 fetched beside it.
credential_provider_bin=$R$CREDENTIAL_PROVIDER_BIN_DIR/ecr-credential-provider
credential_provider_locked() {
  [[ -n ${CREDENTIAL_PROVIDER_S3_URI:-} && -f $credential_provider_bin ]] &&
    [[ $(sha256sum "$credential_provider_bin" | cut -d' ' -f1) == "${CREDENTIAL_PROVIDER_SHA256:-}" ]]
}
install_credential_provider() {
  local bin=$credential_provider_bin sum
  install -d "$R$CREDENTIAL_PROVIDER_BIN_DIR"
  [[ ${CREDENTIAL_PROVIDER_SHA256:-} =~ ^[0-9a-f]{64}$ ]] || die "ecr-credential-provider: CREDENTIAL_PROVIDER_SHA256" \
    "'${CREDENTIAL_PROVIDER_SHA256:-}' is not a sha256; cannot check $CREDENTIAL_PROVIDER_S3_URI"
  log "kubelet image credential provider: $CREDENTIAL_PROVIDER_S3_URI (sha256 $CREDENTIAL_PROVIDER_SHA256)"
  retry_with_backoff 5 30 aws s3 cp --only-show-errors "$CREDENTIAL_PROVIDER_S3_URI" "$bin.new" ||
    die "ecr-credential-provider: cannot download $CREDENTIAL_PROVIDER_S3_URI with this instance's role (denied," \
      "missing or unreachable: see the aws error above); 'kilonode images sync' copies it, the node role may read it"
  sum=$(sha256sum "$bin.new" | cut -d' ' -f1)
  if [[ $sum != "$CREDENTIAL_PROVIDER_SHA256" ]]; then
    rm -f "$bin.new"
    die "ecr-credential-provider: $CREDENTIAL_PROVIDER_S3_URI has sha256 $sum, the image lock says" \
      "$CREDENTIAL_PROVIDER_SHA256; not installed"
  fi
  chmod 0755 "$bin.new" && mv "$bin.new" "$bin"
}

# containerd's config for the installed major. 1.7 writes `version = 2`, the pause image is sandbox_image of the CRI
# plugin io.containerd.grpc.v1.cri. 2.x writes `version = 3` with no sandbox_image: the pause image is
# pinned_images.sandbox of io.containerd.cri.v1.images (internal/cri/config/config.go, "Migrated from sandbox_image").
# runc's SystemdCgroup (the kubelet's cgroupDriver is systemd since 1.22) is the default's only SystemdCgroup in both.
# The edited file is installed only when containerd's own parser (`config dump`) shows the version and both values in
# their tables (both majors print the sandbox table before runc's).
configure_containerd() {
  local cfg=$R/etc/containerd/config.toml v f img key run got
  v=$(containerd --version | awk '{print $3}')
  case ${v#v} in
    1.7.*) f=2 img='plugins."io.containerd.grpc.v1.cri"' key=sandbox_image run=$img ;;
    2.*) f=3 img="plugins.'io.containerd.cri.v1.images'.pinned_images" key=sandbox run="plugins.'io.containerd.cri.v1.runtime'" ;;
    *) die "containerd: installed version '$v' ($(containerd --version)); kilonode configures containerd 1.7 and 2.x only" ;;
  esac
  log "containerd $v: config version $f, SystemdCgroup = true, $key = $PAUSE_IMAGE"
  install -d "$R/etc/containerd"
  containerd config default | sed -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
    -e "s|^\( *$key = \).*|\1\"$PAUSE_IMAGE\"|" >"$cfg.new" || die "containerd $v: config default failed"
  got=$(containerd -c "$cfg.new" config dump | awk -v i="[$img]" -v r="[$run.containerd.runtimes.runc.options]" \
    -v k="$key = " '{ sub(/^[ \t]+/, "") } /^\[/ { t = $0; next }
    !t && /^version = / || t == i && index($0, k) == 1 || t == r && /^SystemdCgroup = / { gsub(/["\047]/, ""); print }' |
    paste -sd' ') || die "containerd $v: rejects $cfg.new"
  [[ $got == "version = $f $key = $PAUSE_IMAGE SystemdCgroup = true" ]] ||
    die "containerd $v: config dump of $cfg.new shows '$got', not version $f, $key and SystemdCgroup = true"
  if ! cmp -s "$cfg.new" "$cfg"; then
    mv "$cfg.new" "$cfg"
    systemctl restart containerd
  else
    rm -f "$cfg.new"
  fi
}
if [[ ${1:-} == containerd-config ]]; then configure_containerd; exit; fi

marker="$KILONODE_STATE_DIR/install-kubernetes-$KUBERNETES_VERSION.done"
if [[ -f $marker ]]; then log "kubernetes $KUBERNETES_VERSION already installed"; exit 0; fi
# The baked image's marker (bake-node.sh): same Kubernetes version, kernel package and series as this node's env.
baked_matches() {
  local m=$R/etc/kilonode/baked.json
  [[ -s $m ]] || return 1
  if ! command -v jq >/dev/null 2>&1; then log "baked image: jq missing, cannot read $m"; return 1; fi
  [[ $(jq -r '.kubernetesVersion, .kernelPackage, .kernelSeries' "$m" 2>/dev/null | paste -sd' ') \
    == "$KUBERNETES_VERSION $KERNEL_PACKAGE $KERNEL_SERIES" ]]
}
export DEBIAN_FRONTEND=noninteractive
# cloud-init and unattended-upgrades may hold the dpkg lock at boot: wait instead of failing.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }

log "swap off (kubelet refuses to run with swap)"
swapoff -a
sed -ri '/\sswap\s/s/^([^#])/#\1/' "$R/etc/fstab"

log "host DNS: /etc/resolv.conf -> systemd-resolved's upstream file (tf-charms fix_dns_settings)"
# vhost0 takes the NIC and the stub resolver loses its per-link servers; the upstream file keeps the VPC's.
resolved=${KILONODE_RESOLVED_CONF:-/run/systemd/resolve/resolv.conf}
if [[ -s $resolved ]]; then
  ln -sfn "$resolved" "${KILONODE_RESOLV_CONF:-/etc/resolv.conf}"
else
  log "host DNS: $resolved missing (systemd-resolved not running); /etc/resolv.conf left as it is"
fi

log "kernel modules and sysctls for bridged pod traffic; $HUGE_PAGES_2MB 2 MB hugepages for the vRouter agent"
printf 'overlay\nbr_netfilter\n' >"$R/etc/modules-load.d/kilonode-k8s.conf"
modprobe overlay
modprobe br_netfilter
printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\nvm.nr_hugepages = %s\n' \
  "$HUGE_PAGES_2MB" >"$R/etc/sysctl.d/99-kilonode-k8s.conf"
sysctl --system >/dev/null

install_packages() {
log "apt repository pkgs.k8s.io v$KUBERNETES_MINOR"
retry_with_backoff 5 30 apt_get update
retry_with_backoff 3 60 apt_get install apt-transport-https ca-certificates curl gpg jq containerd
# No awscli deb on 24.04 (packages.ubuntu.com): the snap, linked where units' PATH finds it.
if apt-cache show awscli >/dev/null 2>&1; then
  retry_with_backoff 3 60 apt_get install awscli
elif ! command -v aws >/dev/null 2>&1; then
  retry_with_backoff 3 60 snap install aws-cli --classic
  ln -sfn /snap/bin/aws /usr/local/bin/aws
fi

log "kernel: $KERNEL_PACKAGE and headers (series $KERNEL_SERIES), held; headers for the running $KERNEL_RELEASE"
# Bounded retries: the vRouter build needs headers; if they never arrive this fails rather than loops.
retry_with_backoff 5 60 apt_get install "$KERNEL_PACKAGE" "$KERNEL_HEADERS_PACKAGE"
retry_with_backoff 5 60 apt_get install "linux-headers-$KERNEL_RELEASE"
# Hold the rolling kernel metas: they would boot a newer series next time.
for meta in linux-aws linux-image-aws linux-headers-aws; do
  if dpkg-query -W -f='${Status}' "$meta" 2>/dev/null | grep -q 'install ok installed'; then apt-mark hold "$meta" >/dev/null; fi
done
systemctl enable kilonode-kernel-check.service >/dev/null 2>&1 || true
check_kernel || log "kernel: continuing; kilonode-kernel-check.service fails until the node runs $KERNEL_SERIES"
install -d -m 0755 "$R/etc/apt/keyrings"
key=$R/etc/apt/keyrings/kubernetes-apt-keyring.gpg
retry_with_backoff 5 30 curl -fsSL -o "$key.asc" "https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/Release.key"
gpg --batch --yes --dearmor -o "$key" "$key.asc"
rm -f "$key.asc"
echo "deb [signed-by=$key] https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/ /" \
  >"$R/etc/apt/sources.list.d/kubernetes.list"
retry_with_backoff 5 30 apt_get update

log "kubelet/kubeadm/kubectl $KUBERNETES_VERSION (held so unattended upgrades cannot skew versions)"
apt_get install --allow-change-held-packages --allow-downgrades \
  "kubelet=${KUBERNETES_VERSION}-*" "kubeadm=${KUBERNETES_VERSION}-*" "kubectl=${KUBERNETES_VERSION}-*"
apt-mark hold kubelet kubeadm kubectl >/dev/null

if [[ -n ${CREDENTIAL_PROVIDER_S3_URI:-} ]]; then
  install_credential_provider
else
  log "kubelet image credential provider: $ECR_CREDENTIAL_PROVIDER_URL (image lock without a credentialProvider" \
    "entry: checked only against the .sha256 published beside it)"
  install -d "$R$CREDENTIAL_PROVIDER_BIN_DIR"
  local bin=$credential_provider_bin sum
  retry_with_backoff 5 30 curl -fsSL -o "$bin.new" "$ECR_CREDENTIAL_PROVIDER_URL"
  retry_with_backoff 5 30 curl -fsSL -o "$bin.sha256" "$ECR_CREDENTIAL_PROVIDER_URL.sha256"
  read -r sum _ <"$bin.sha256"
  echo "$sum  $bin.new" | sha256sum -c --quiet || die "ecr-credential-provider: checksum mismatch"
  chmod 0755 "$bin.new" && mv "$bin.new" "$bin"
fi
}
if baked_matches; then
  log "baked image: $R/etc/kilonode/baked.json matches Kubernetes $KUBERNETES_VERSION and $KERNEL_PACKAGE; no package installs"
  check_kernel || log "kernel: continuing; kilonode-kernel-check.service fails until the node runs $KERNEL_SERIES"
  # An image baked from another lock holds another provider: this node's lock decides.
  if [[ -n ${CREDENTIAL_PROVIDER_S3_URI:-} ]] && ! credential_provider_locked; then install_credential_provider; fi
else
  install_packages
fi

configure_containerd
systemctl enable --now containerd kubelet
log "pause: pre-pulling $PAUSE_IMAGE (containerd pulls the sandbox image itself, without the kubelet's credentials)"
retry_with_backoff 5 30 ecr_pull "$PAUSE_IMAGE" || die "pause: cannot pull $PAUSE_IMAGE from the stack's ECR"

printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n' \
  >"$R/etc/crictl.yaml"

install -d "$KILONODE_STATE_DIR"
touch "$marker"
log "kubernetes node packages ready: $(kubeadm version -o short)"
