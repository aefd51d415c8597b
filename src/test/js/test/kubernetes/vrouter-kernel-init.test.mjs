// The vRouter agent's kernel-init step as the offline plan renders it (target/plan/<stack>/manifests): the init
// container runs components/ContrailCni/vrouter-kernel-init.sh from the kilonode-vrouter-kernel-init ConfigMap,
// inside the release's opensdn-vrouter-kernel-build-init image, whose own entrypoint (/entrypoint.sh, per
// OpenSDN-io/tf-container-builder@ad1c5969 containers/vrouter/kernel-build-init/Dockerfile) the script execs when
// it must build. Both objects validate against the Kubernetes schema in kubernetes-models, and the ConfigMap holds
// the committed script byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ConfigMap } from 'kubernetes-models/v1';

const jsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const projectRoot = resolve(jsRoot, '../../..');
const planRoot = process.env.KILONODE_PLAN_ROOT ?? resolve(projectRoot, 'target/plan');
const script = readFileSync(join(projectRoot, 'components/ContrailCni/vrouter-kernel-init.sh'), 'utf8');

for (const stack of ['dev', 'scale']) {
  const manifests = join(planRoot, stack, 'manifests');
  const read = (file) => {
    const path = join(manifests, file);
    assert.ok(existsSync(path), `${path} missing: run the plan first (./mvnw verify does)`);
    return parse(readFileSync(path, 'utf8'));
  };

  test(`${stack}: the kernel-init ConfigMap is the committed wrapper and a valid ConfigMap`, () => {
    const cm = read('configmap-kilonode-vrouter-kernel-init.yaml');
    new ConfigMap(cm).validate();
    assert.equal(cm.metadata.namespace, 'kube-system');
    assert.deepEqual(Object.keys(cm.data), ['vrouter-kernel-init.sh']);
    assert.equal(cm.data['vrouter-kernel-init.sh'], script);
    // The path the wrapper execs when it must build: the image's ENTRYPOINT.
    assert.match(script, /^UPSTREAM_ENTRYPOINT=\/entrypoint\.sh$/m);
  });

  test(`${stack}: the agent's kernel-init container runs the wrapper with the mounts it reads`, () => {
    const ds = read('daemonset-contrail-agent.yaml');
    new DaemonSet(ds).validate();
    const pod = ds.spec.template.spec;
    const init = pod.initContainers.find((c) => c.name === 'opensdn-vrouter-kernel-init');
    assert.ok(init, 'no opensdn-vrouter-kernel-init init container');
    assert.match(init.image, /\/opensdn-vrouter-kernel-build-init[:@]/);
    assert.deepEqual(init.command, ['/bin/bash', '/opt/kilonode/vrouter-kernel-init.sh']);
    assert.equal(init.args, undefined);
    const volumes = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
    const mounts = Object.fromEntries(init.volumeMounts.map((m) => [m.mountPath, m]));
    const wrapper = mounts['/opt/kilonode'];
    assert.ok(wrapper?.readOnly, 'the ConfigMap is mounted read-only at /opt/kilonode');
    assert.equal(volumes[wrapper.name].configMap.name, 'kilonode-vrouter-kernel-init');
    assert.equal(volumes[wrapper.name].configMap.defaultMode, 0o444);
    for (const [path, hostPath] of [['/lib/modules', '/lib/modules'], ['/usr/src', '/usr/src'],
      ['/host/bin', '/bin'], ['/var/log/contrail', '/var/log/contrail']]) {
      assert.ok(mounts[path], `${path} not mounted`);
      assert.equal(volumes[mounts[path].name].hostPath?.path, hostPath, `${path} is not the host's ${hostPath}`);
    }
    assert.match(ds.spec.template.metadata.annotations['kilonode.dev/config-checksum'], /^[0-9a-f]{64}$/);
  });
}
