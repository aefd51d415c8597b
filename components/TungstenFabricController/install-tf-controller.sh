#!/usr/bin/env bash
# Tungsten Fabric controller via tf-ansible-deployer, as report 000 did by hand, minus the hand.
# The rendered instances.yaml lists every controller, so config_database/control/analytics form one
# cluster; each controller only installs itself (--limit), so the three run in parallel. Idempotent.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${TF_DEPLOYER_REPO:?}" "${TF_DEPLOYER_REF:?}"
DEPLOYER=${KILONODE_TF_DEPLOYER_DIR:-/opt/tf-ansible-deployer}
INSTANCES=${KILONODE_TF_INSTANCES:-/etc/kilonode/tf/instances.yaml}
marker="$KILONODE_STATE_DIR/tf-controller-installed"
if [[ -f $marker ]]; then log "tf: controller already installed ($(cat "$marker"))"; exit 0; fi
[[ -r $INSTANCES ]] || die "tf: $INSTANCES missing"

# This controller's IP: its entry in TF_CONTROLLER_IPS (fixed private IPs), else IMDS.
IFS=, read -r -a ips <<<"${TF_CONTROLLER_IPS:-}"
my_ip=${ips[${TF_CONTROLLER_INDEX:-0}]:-}
[[ -n $my_ip ]] || my_ip=$(imds_get meta-data/local-ipv4)
log "tf: installing controller $my_ip (index ${TF_CONTROLLER_INDEX:-0}) from $TF_DEPLOYER_REPO@$TF_DEPLOYER_REF"

# Prerequisites per the deployer's README: git, python3, sshpass, ansible 2.7.18 and requests from pip3.
# Ansible 2.7 predates Jinja2 3.1 / MarkupSafe 2.1, which removed APIs it imports, and has no interpreter
# discovery: python-is-python3 gives it /usr/bin/python (the deployer's own script symlinks it too).
export DEBIAN_FRONTEND=noninteractive
retry_with_backoff 5 30 apt-get -o DPkg::Lock::Timeout=600 -y -q update
apt-get -o DPkg::Lock::Timeout=600 -y -q install git python3 python3-pip python-is-python3 sshpass openssh-server
retry_with_backoff 5 30 pip3 install -q "ansible==${TF_ANSIBLE_VERSION:-2.7.18}" requests "jinja2<3.1" "markupsafe<2.1"

# Deployer checkout at the pinned ref (branch, tag or commit).
[[ -d $DEPLOYER/.git ]] || retry_with_backoff 5 30 git clone -q "$TF_DEPLOYER_REPO" "$DEPLOYER"
retry_with_backoff 5 30 git -C "$DEPLOYER" fetch -q origin "$TF_DEPLOYER_REF"
git -C "$DEPLOYER" checkout -q --detach FETCH_HEAD
log "tf: deployer at $(git -C "$DEPLOYER" rev-parse --short HEAD)"

# Ansible reaches this host over ssh as root with a key that is only accepted from this host's own
# addresses; its host key is pinned via ssh-keyscan (host key checking stays on).
install -d -m 0700 /root/.ssh
[[ -f /root/.ssh/id_rsa ]] || ssh-keygen -q -t rsa -b 4096 -N '' -C kilonode-tf-localhost -f /root/.ssh/id_rsa
entry="from=\"$my_ip,127.0.0.1,::1\" $(cat /root/.ssh/id_rsa.pub)"
touch /root/.ssh/authorized_keys
grep -qxF -- "$entry" /root/.ssh/authorized_keys || echo "$entry" >>/root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
if ! ssh-keygen -F "$my_ip" -f /root/.ssh/known_hosts >/dev/null 2>&1; then
  retry_with_backoff 5 10 ssh-keyscan -H "$my_ip" >>/root/.ssh/known_hosts
fi

cp "$INSTANCES" "$DEPLOYER/config/instances.yaml"
cd "$DEPLOYER"
# --limit keeps localhost: the deployer's first play runs there and builds the container_hosts group
# from instances.yaml; without it the later plays would find no hosts.
for pb in configure_instances install_contrail; do
  log "tf: ansible-playbook playbooks/$pb.yml --limit localhost,$my_ip"
  retry_with_backoff 3 120 ansible-playbook -e orchestrator=kubernetes -i inventory/ \
    --limit "localhost,$my_ip" "playbooks/$pb.yml"
done
install -d "$KILONODE_STATE_DIR"
date -u +%Y-%m-%dT%H:%M:%SZ >"$marker"
log "tf: controller $my_ip installed"
