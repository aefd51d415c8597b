#!/usr/bin/env bash
# Prepare an Ubuntu 20.04 node for kubeadm: containerd + pinned kubelet/kubeadm/kubectl. Idempotent.
# Report 000 did this by hand over ssh on 1,000 nodes; here every node does it itself at boot.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${KUBERNETES_VERSION:?} ${KUBERNETES_MINOR:?}"

marker="$KILONODE_STATE_DIR/install-kubernetes-$KUBERNETES_VERSION.done"
if [[ -f $marker ]]; then log "kubernetes $KUBERNETES_VERSION already installed"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
# cloud-init and unattended-upgrades may hold the dpkg lock at boot: wait instead of failing.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }

log "swap off (kubelet refuses to run with swap)"
swapoff -a
sed -ri '/\sswap\s/s/^([^#])/#\1/' /etc/fstab

log "kernel modules and sysctls for bridged pod traffic"
printf 'overlay\nbr_netfilter\n' >/etc/modules-load.d/kilonode-k8s.conf
modprobe overlay
modprobe br_netfilter
printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' \
  >/etc/sysctl.d/99-kilonode-k8s.conf
sysctl --system >/dev/null

log "apt repository pkgs.k8s.io v$KUBERNETES_MINOR"
retry_with_backoff 5 30 apt_get update
apt_get install apt-transport-https ca-certificates curl gpg jq awscli containerd
# The vRouter kernel module is compiled on the node by the contrail-agent DaemonSet's init container
# (vrouter-kernel-build-init) against the running kernel's headers.
apt_get install "linux-headers-$(uname -r)"
install -d -m 0755 /etc/apt/keyrings
key=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
retry_with_backoff 5 30 curl -fsSL -o "$key.asc" "https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/Release.key"
gpg --batch --yes --dearmor -o "$key" "$key.asc"
rm -f "$key.asc"
echo "deb [signed-by=$key] https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/ /" \
  >/etc/apt/sources.list.d/kubernetes.list
retry_with_backoff 5 30 apt_get update

log "kubelet/kubeadm/kubectl $KUBERNETES_VERSION (held so unattended upgrades cannot skew versions)"
apt_get install --allow-change-held-packages --allow-downgrades \
  "kubelet=${KUBERNETES_VERSION}-*" "kubeadm=${KUBERNETES_VERSION}-*" "kubectl=${KUBERNETES_VERSION}-*"
apt-mark hold kubelet kubeadm kubectl >/dev/null

log "containerd with SystemdCgroup=true (kubelet's cgroupDriver is systemd since 1.22)"
install -d /etc/containerd
containerd config default >/etc/containerd/config.toml.new
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml.new
# The sandbox (pause) image must match what kubeadm expects, or kubeadm warns and kubelet re-pulls.
pause=$(kubeadm config images list --kubernetes-version "v$KUBERNETES_VERSION" 2>/dev/null | grep /pause: || true)
[[ -n $pause ]] && sed -i "s|sandbox_image = .*|sandbox_image = \"$pause\"|" /etc/containerd/config.toml.new
if ! cmp -s /etc/containerd/config.toml.new /etc/containerd/config.toml; then
  mv /etc/containerd/config.toml.new /etc/containerd/config.toml
  systemctl restart containerd
else
  rm -f /etc/containerd/config.toml.new
fi
systemctl enable --now containerd kubelet
printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n' \
  >/etc/crictl.yaml

install -d "$KILONODE_STATE_DIR"
touch "$marker"
log "kubernetes node packages ready: $(kubeadm version -o short)"
