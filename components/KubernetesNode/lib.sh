# shellcheck shell=bash
# kilonode helpers, sourced by every on-node script (installed at /opt/kilonode/lib.sh).

# AWS CLI: region from the env file; standard retry mode so SSM/ASG throttling (1,000 nodes
# booting at once; report 001 saw throttling) is retried by the SDK before our own backoff kicks in.
if [[ -n ${KILONODE_REGION:-} && -z ${AWS_DEFAULT_REGION:-} ]]; then export AWS_DEFAULT_REGION=$KILONODE_REGION; fi
export AWS_RETRY_MODE=${AWS_RETRY_MODE:-standard} AWS_MAX_ATTEMPTS=${AWS_MAX_ATTEMPTS:-5}
KILONODE_STATE_DIR=${KILONODE_STATE_DIR:-/var/lib/kilonode}

# log MSG...: timestamped line on stderr (cloud-init copies it to the console; units use
# StandardError=journal+console) and, outside systemd, the journal via logger -t kilonode.
log() {
  printf '%s kilonode: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
  if [[ -z ${JOURNAL_STREAM:-} ]] && command -v logger >/dev/null 2>&1; then
    logger -t kilonode -- "$*" 2>/dev/null || true
  fi
}
die() { log "ERROR: $*"; exit "${DIE_CODE:-1}"; }

# Pluggable sleep so tests run instantly (KILONODE_SLEEP=true).
ksleep() { ${KILONODE_SLEEP:-sleep} "$1"; }

# imds_get PATH (e.g. meta-data/instance-id), IMDSv2 session token.
imds_get() {
  local base=${KILONODE_IMDS_URL:-http://169.254.169.254} token
  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$base/latest/api/token") || return 1
  curl -fsS -H "X-aws-ec2-metadata-token: $token" "$base/latest/$1"
}

# ssm_get NAME: decrypted SecureString value on stdout. Callers capture it, never print it.
ssm_get() {
  aws ssm get-parameter --name "$1" --with-decryption --query Parameter.Value --output text
}

# retry_with_backoff MAX_ATTEMPTS MAX_DELAY_S CMD...: capped exponential backoff with full jitter
# (delay = random(0 .. min(cap, base*2^(n-1)))). Report 001: client-side throttling grew to ~30 s when
# every client retried in lockstep; full jitter spreads 1,000 simultaneous boots, the cap bounds the wait.
retry_with_backoff() {
  local max=$1 cap=$2 n=1 ceil i delay
  shift 2
  while true; do
    if "$@"; then return 0; fi
    if ((n >= max)); then log "giving up after $n attempts: $1"; return 1; fi
    ceil=${KILONODE_BACKOFF_BASE:-1}
    for ((i = 1; i < n && ceil < cap; i++)); do ceil=$((ceil * 2)); done
    ((ceil > cap)) && ceil=$cap
    delay=$((((RANDOM << 15) | RANDOM) % (ceil + 1)))
    log "backoff: attempt $n/$max failed ($1); ceiling ${ceil}s, sleeping ${delay}s"
    ksleep "$delay"
    n=$((n + 1))
  done
}

# api_ready: the API load balancer answers /readyz. -k: health probe only, no credentials are sent;
# kubeadm does the authenticated discovery (CA_CERT_HASH) itself.
api_ready() { curl -fsSk --max-time 5 -o /dev/null "https://${API_ENDPOINT}/readyz"; }

# Bootstrap tokens look like [a-z0-9]{6}.[a-z0-9]{16}; mask them in anything we pass to the console.
redact() { sed -uE 's/[a-z0-9]{6}\.[a-z0-9]{16}/[redacted-token]/g'; }
# run_redacted CMD...: run CMD with stdout+stderr masked, preserving its exit status.
run_redacted() { "$@" 2>&1 | redact >&2; return "${PIPESTATUS[0]}"; }

# render_token TEMPLATE OUT TOKEN: copy TEMPLATE to OUT (mode 0600) with __BOOTSTRAP_TOKEN__ replaced.
# Pure bash (printf is a builtin), so the token never shows up in a process's argv.
render_token() {
  local content
  content=$(<"$1")
  (umask 077 && printf '%s\n' "${content//__BOOTSTRAP_TOKEN__/$3}" >"$2")
  chmod 0600 "$2"
}
valid_token() { [[ $1 =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]]; }

# ecr_pull REF: containerd pulls REF itself (not through the kubelet, whose ecr-credential-provider covers only
# its own pulls), from the stack's ECR with a token from the instance role (12 h; in argv only for the pull).
ecr_pull() {
  local auth=()
  if [[ $1 == *.dkr.ecr.*.amazonaws.com/* ]]; then
    auth=(--user "AWS:$(aws ecr get-login-password --region "$KILONODE_REGION")") || return 1
  fi
  ctr -n k8s.io images pull "${auth[@]}" "$1" >/dev/null
}

# etcd_tool "DIR..." CMD ARGS...: run etcdctl/etcdutl from etcd's own release image ($ETCD_TOOLS_IMAGE,
# gcr.io/etcd-development/etcd, built from etcd's Dockerfile-release which ships etcd, etcdctl and etcdutl).
# kubeadm's registry.k8s.io/etcd image has no etcdutl (kubernetes cluster/images/etcd/Makefile, amd64: only
# etcd and etcdctl are installed). Host network; each DIR is bind-mounted at the same path, so paths in
# ARGS mean the same inside and outside.
etcd_tool() {
  local dirs=$1 cmd=$2 d mounts=()
  shift 2
  : "${ETCD_TOOLS_IMAGE:?}"
  for d in $dirs; do mounts+=(--mount "type=bind,src=$d,dst=$d,options=rbind:rw"); done
  if ! ctr -n k8s.io images ls -q | grep -qxF "$ETCD_TOOLS_IMAGE"; then
    retry_with_backoff 5 30 ecr_pull "$ETCD_TOOLS_IMAGE" || return 1
  fi
  ctr -n k8s.io run --rm --net-host "${mounts[@]}" "$ETCD_TOOLS_IMAGE" "kilonode-$cmd-$$-$RANDOM" \
    "/usr/local/bin/$cmd" "$@"
}
