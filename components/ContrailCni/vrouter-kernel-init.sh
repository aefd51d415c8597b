#!/usr/bin/env bash
# The vRouter agent pod's kernel-init step (init container opensdn-vrouter-kernel-init), run inside the release's
# opensdn-vrouter-kernel-build-init image from the ConfigMap contrail-vrouter-kernel-init (ContrailCni.java); the
# bake runs it the same way (bake-node.sh). Not an on-node script: no kilonode env file or lib.sh in that image.
#
# What the image does (OpenSDN-io/tf-container-builder@ad1c5969, R25.1, containers/vrouter/kernel-build-init/):
#   Dockerfile: ENTRYPOINT ["/entrypoint.sh"], no CMD; /contrail_version holds the image's CONTRAIL_CONTAINER_TAG;
#     the vRouter sources (contrail-vrouter.tar.gz) are unpacked at /vrouter_src.
#   entrypoint.sh: copies /vrouter_src to the host's /usr/src/vrouter-<contrail_version>, writes dkms.conf there,
#     runs dkms add/build/install for `uname -r` (DKMS state stays in the container's /var/lib/dkms), depmod -a,
#     requires /lib/modules/<kernel>/updates/dkms/vrouter.ko, touches module_compiled in the source directory and
#     copies vif to /host/bin. It has no "already built" check: every pod start compiles.
# What the module's version is: tf-vrouter (R25.1) linux/vrouter_mod.c MODULE_VERSION(VROUTER_VERSIONID), from the
#   source tree's include/vr_buildinfo.h (generated at packaging, tf-vrouter SConscript genBuildVersion). The DKMS
#   PRE_BUILD step (utils/dkms/gen_build_info.sh) writes its header under /vrouter/<version>/build, outside the
#   compiler's include path, so the header in /vrouter_src is what `modinfo -F version` of the built module shows.
#   That is the release's base version (tf-build rules.py GetBuildVersion: controller/src/base/version.info), the
#   same for every build of a release, so the source itself is compared too.
#
# Skip (exit 0, no compile) only when all of these hold; otherwise exec the image's entrypoint unchanged:
#   1. /lib/modules/$(uname -r)/updates/dkms/vrouter.ko exists and modules.dep lists it (modprobe finds it);
#   2. its modinfo version equals VROUTER_VERSIONID of this image's /vrouter_src/include/vr_buildinfo.h;
#   3. /usr/src/vrouter-<this image's contrail_version> holds exactly this image's /vrouter_src (plus the
#      entrypoint's dkms.conf and module_compiled), and module_compiled is not older than dkms.conf: the last run
#      of this image's entrypoint on this host copied this source and finished (a failed build leaves dkms.conf
#      newer than the previous module_compiled).
# Anything it cannot read or run counts as "not the same": it builds and says why.
#
# --check: decide and report only (exit 0: a pod start would skip; exit 1: it would build). bake-node.sh validate.
set -euo pipefail

R=${KILONODE_ROOT:-}
UPSTREAM_ENTRYPOINT=/entrypoint.sh
LOG_FILE=$R/var/log/contrail/vrouter-kernel-build-init/console.log
check_only=false
if [[ ${1:-} == --check ]]; then
  check_only=true
  shift
fi
container_args=("$@") # the container's arguments, for the entrypoint (upstream has no CMD: none)

say() {
  local line
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) kilonode vrouter-kernel-init: $*"
  printf '%s\n' "$line"
  # Beside the entrypoint's own log when the log directory is mounted; the decision never depends on it.
  if [[ -d ${LOG_FILE%/*} ]]; then printf '%s\n' "$line" >>"$LOG_FILE" 2>/dev/null || true; fi
}

build() {
  if $check_only; then
    say "a pod start would build vrouter.ko: $*"
    exit 1
  fi
  say "building vrouter.ko: $*"
  exec "$R$UPSTREAM_ENTRYPOINT" "${container_args[@]}"
}

# The image's own facts: its DKMS package version and the module version its sources compile to.
kernel=${KILONODE_KERNEL_RELEASE:-$(uname -r 2>/dev/null || true)}
[[ -n $kernel ]] || build "cannot read the running kernel's release (uname -r)"
[[ -r $R/contrail_version ]] || build "$R/contrail_version is missing or unreadable"
package_version=$(head -n 1 "$R/contrail_version" 2>/dev/null) || package_version=
[[ $package_version =~ ^[A-Za-z0-9._+~-]+$ ]] || build "$R/contrail_version holds no usable version ('$package_version')"
header=$R/vrouter_src/include/vr_buildinfo.h
[[ -r $header ]] || build "$header is missing or unreadable"
module_version=$(sed -n 's/^#define[[:space:]]\{1,\}VROUTER_VERSIONID[[:space:]]\{1,\}"\([^"]*\)"[[:space:]]*$/\1/p' \
  "$header" 2>/dev/null) || module_version=
[[ -n $module_version && $module_version != *$'\n'* ]] \
  || build "$header defines no single VROUTER_VERSIONID"

# The host's module for the running kernel, where DKMS installs it on Ubuntu and the entrypoint looks for it.
module=$R/lib/modules/$kernel/updates/dkms/vrouter.ko
[[ -f $module ]] || build "no $module"
grep -q '^updates/dkms/vrouter\.ko:' "$R/lib/modules/$kernel/modules.dep" 2>/dev/null \
  || build "$R/lib/modules/$kernel/modules.dep does not list updates/dkms/vrouter.ko"
command -v modinfo >/dev/null 2>&1 || build "modinfo is not in this image"
if ! installed_version=$(modinfo -F version "$module" 2>/dev/null); then
  build "modinfo cannot read $module ($(modinfo -F version "$module" 2>&1 | head -n 1))"
fi
[[ -n $installed_version ]] || build "$module has no version"
[[ $installed_version == "$module_version" ]] \
  || build "$module is version '$installed_version', this image builds '$module_version'"

# The sources it was built from: this image's, copied by this image's entrypoint, which then finished.
source_dir=$R/usr/src/vrouter-$package_version
[[ -f $source_dir/module_compiled && -f $source_dir/dkms.conf ]] \
  || build "$source_dir has no finished build (module_compiled, dkms.conf)"
[[ ! $source_dir/dkms.conf -nt $source_dir/module_compiled ]] \
  || build "the last build from $source_dir did not finish (dkms.conf is newer than module_compiled)"
command -v diff >/dev/null 2>&1 || build "diff is not in this image"
if ! differences=$(diff -r -q --exclude=dkms.conf --exclude=module_compiled "$R/vrouter_src" "$source_dir" 2>&1); then
  build "$source_dir is not this image's source: $(head -n 3 <<<"$differences" | tr '\n' ';')"
fi

if $check_only; then
  say "a pod start would skip the build: $module is version $module_version from this image's sources"
  exit 0
fi
# What the entrypoint does after a build that the host keeps using: vif on the host's /bin when mounted.
if [[ -d $R/host/bin && ! -f $R/host/bin/vif ]]; then
  if ! { cp -f "$R/usr/bin/vif" "$R/host/bin/vif" && chmod +x "$R/host/bin/vif"; }; then
    build "cannot copy vif to the host's /bin"
  fi
fi
say "vrouter.ko for $kernel is version $module_version from this image's sources ($source_dir): not rebuilding"
exit 0
