#!/usr/bin/env bash
# OpenSDN controller via tf-ansible-deployer, as report 000 did by hand, minus the hand.
# The rendered instances.yaml lists every controller, so config_database/control/analytics form one
# cluster; each controller only installs itself (--limit), so the three run in parallel. Idempotent.
set -euo pipefail
# shellcheck source=/dev/null
. "${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}"
# shellcheck source=lib.sh
. "${KILONODE_LIB:-/opt/kilonode/lib.sh}"
: "${TF_DEPLOYER_REPO:?}" "${TF_DEPLOYER_REF:?}" "${TF_DEPLOYER_PLAYBOOKS:?}" "${TF_ANSIBLE_MIN:?}" "${TF_ANSIBLE_BELOW:?}" "${TF_JINJA2_VERSION:?}"
DEPLOYER=${KILONODE_TF_DEPLOYER_DIR:-/opt/tf-ansible-deployer}
INSTANCES=${KILONODE_TF_INSTANCES:-/etc/kilonode/tf/instances.yaml}
VENV=${KILONODE_ANSIBLE_VENV:-/opt/kilonode/ansible-venv}
SYSTEM_PYTHON=${KILONODE_SYSTEM_PYTHON:-/usr/bin/python3}
SSH_DIR=${KILONODE_SSH_DIR:-/root/.ssh}
marker="$KILONODE_STATE_DIR/tf-controller-installed"
if [[ -f $marker ]]; then log "tf: controller already installed ($(cat "$marker"))"; exit 0; fi
[[ -r $INSTANCES ]] || die "tf: $INSTANCES missing"

# This controller's IP: its entry in TF_CONTROLLER_IPS (fixed private IPs), else IMDS.
IFS=, read -r -a ips <<<"${TF_CONTROLLER_IPS:-}"
my_ip=${ips[${TF_CONTROLLER_INDEX:-0}]:-}
[[ -n $my_ip ]] || my_ip=$(imds_get meta-data/local-ipv4)
log "tf: installing controller $my_ip (index ${TF_CONTROLLER_INDEX:-0}) from $TF_DEPLOYER_REPO@$TF_DEPLOYER_REF"

# Packages the OS itself needs (netplan and cloud-init import yaml): checked before and after the deployer,
# which on some releases purges python3-yaml (tf-devstack did on 20.04/22.04; the R25.1 docker role does on Rocky).
os_packages_present() {
  local pkg missing=()
  for pkg in python3-yaml netplan.io cloud-init; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]})); then log "tf: ERROR: packages the OS needs are missing: ${missing[*]}"; return 1; fi
  "$SYSTEM_PYTHON" -c 'import yaml' || { log "tf: ERROR: the system python3 cannot import yaml"; return 1; }
}

# Ansible as the release's CI installs it (tf-devstack ansible/run.sh): a virtualenv with pip pins, so the
# system Python and its packages stay as the OS shipped them (no pip into /usr, no purge).
export DEBIAN_FRONTEND=noninteractive
retry_with_backoff 5 30 apt-get -o DPkg::Lock::Timeout=600 -y -q update
retry_with_backoff 3 60 apt-get -o DPkg::Lock::Timeout=600 -y -q install git python3 python3-virtualenv python3-yaml \
  sshpass openssh-server curl jq
os_packages_present || die "tf: the OS is missing packages it needs before the deployer ran"
[[ -x $VENV/bin/ansible-playbook ]] || virtualenv -q "$VENV"
retry_with_backoff 5 30 "$VENV/bin/pip" install -q "ansible>=$TF_ANSIBLE_MIN,<$TF_ANSIBLE_BELOW" "jinja2==$TF_JINJA2_VERSION" pyopenssl requests
log "tf: $("$VENV/bin/ansible" --version | head -n1)"

# Deployer checkout at the pinned commit.
[[ -d $DEPLOYER/.git ]] || retry_with_backoff 5 30 git clone -q "$TF_DEPLOYER_REPO" "$DEPLOYER"
retry_with_backoff 5 30 git -C "$DEPLOYER" fetch -q origin "$TF_DEPLOYER_REF"
git -C "$DEPLOYER" checkout -q --detach FETCH_HEAD
head=$(git -C "$DEPLOYER" rev-parse HEAD)
[[ $head == "$TF_DEPLOYER_REF" ]] || die "tf: deployer is at $head, expected the pinned commit $TF_DEPLOYER_REF"
log "tf: deployer at $head"

# Ansible reaches this host over ssh as root with a key that is only accepted from this host's own
# addresses; its host key is pinned via ssh-keyscan (host key checking stays on).
install -d -m 0700 "$SSH_DIR"
[[ -f $SSH_DIR/id_rsa ]] || ssh-keygen -q -t rsa -b 4096 -N '' -C kilonode-tf-localhost -f "$SSH_DIR/id_rsa"
entry="from=\"$my_ip,127.0.0.1,::1\" $(cat "$SSH_DIR/id_rsa.pub")"
touch "$SSH_DIR/authorized_keys"
grep -qxF -- "$entry" "$SSH_DIR/authorized_keys" || echo "$entry" >>"$SSH_DIR/authorized_keys"
chmod 0600 "$SSH_DIR/authorized_keys"
if ! ssh-keygen -F "$my_ip" -f "$SSH_DIR/known_hosts" >/dev/null 2>&1; then
  retry_with_backoff 5 10 ssh-keyscan -H "$my_ip" >>"$SSH_DIR/known_hosts"
fi

(umask 077 && cp "$INSTANCES" "$DEPLOYER/config/instances.yaml") && chmod 0600 "$DEPLOYER/config/instances.yaml"
if [[ -n ${ECR_REGISTRY:-} ]]; then
  # The deployer's docker role logs in with these (tf-ansible-deployer playbooks/roles/docker/tasks/main.yml). The
  # token (12 h, instance role) goes only into the deployer's 0600 copy, through the environment, never argv or logs.
  if ! command -v aws >/dev/null; then
    retry_with_backoff 3 60 snap install aws-cli --classic
    ln -sfn /snap/bin/aws /usr/local/bin/aws
  fi
  ECR_TOKEN=$(aws ecr get-login-password --region "$KILONODE_REGION") ||
    die "tf: cannot get an ECR login token for $ECR_REGISTRY (instance role, ecr:GetAuthorizationToken)"
  ECR_TOKEN=$ECR_TOKEN "$SYSTEM_PYTHON" - "$DEPLOYER/config/instances.yaml" <<'PY' || die "tf: cannot add the registry login"
import os, sys, yaml
path = sys.argv[1]
with open(path) as f:
    doc = yaml.safe_load(f)
login = doc.setdefault("global_configuration", {})
login["CONTAINER_REGISTRY_USERNAME"] = "AWS"
login["CONTAINER_REGISTRY_PASSWORD"] = os.environ["ECR_TOKEN"]
with os.fdopen(os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600), "w") as f:
    yaml.safe_dump(doc, f, default_flow_style=False)
PY
fi
cd "$DEPLOYER"
# --limit keeps localhost: the deployer's first play runs there and builds the container_hosts group
# from instances.yaml; without it the later plays would find no hosts.
IFS=, read -r -a playbooks <<<"$TF_DEPLOYER_PLAYBOOKS"
for pb in "${playbooks[@]}"; do
  [[ -f $pb ]] || die "tf: $pb not in the deployer at $head"
  log "tf: ansible-playbook $pb --limit localhost,$my_ip"
  retry_with_backoff 3 120 "$VENV/bin/ansible-playbook" -e orchestrator=kubernetes -i inventory/ \
    --limit "localhost,$my_ip" "$pb"
  os_packages_present || die "tf: $pb removed packages the OS needs (see above); netplan and cloud-init would break at the next boot"
done
install -d "$KILONODE_STATE_DIR"
date -u +%Y-%m-%dT%H:%M:%SZ >"$marker"
log "tf: controller $my_ip installed"
