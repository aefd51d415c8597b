// Every Kubernetes object the offline plan declares (target/plan/<stack>/manifests/<kind>-<name>.yaml, written by
// `java -jar target/kilonode.jar plan`) must validate against the Kubernetes OpenAPI schema as shipped by the
// kubernetes-models package. An apiVersion/kind that package does not know (extensions/v1beta1, apps/v1beta2,
// rbac.authorization.k8s.io/v1beta1... all removed from Kubernetes) fails the test.
//
// Server-side-apply patches (Pulumi `...Patch` resources, such as the CoreDNS spread patch) are partial objects by
// design: they are validated for types and values, but fields the schema marks required may be absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const jsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const planRoot = process.env.KILONODE_PLAN_ROOT ?? resolve(jsRoot, '../../../target/plan');
const STACKS = ['dev', 'scale'];

/** "apps/v1" -> the kubernetes-models module for that group/version; core "v1" is at the root. */
async function modelFor(apiVersion, kind) {
  const path = apiVersion.includes('/') ? `kubernetes-models/${apiVersion}` : `kubernetes-models/${apiVersion}`;
  let mod;
  try {
    mod = await import(path);
  } catch (e) {
    return null;
  }
  return mod[kind] ?? null;
}

function patchFiles(dir) {
  const resources = JSON.parse(readFileSync(join(dir, 'resources.json'), 'utf8'));
  const files = new Set();
  for (const r of resources) {
    if (r.type.startsWith('kubernetes:') && r.type.endsWith('Patch') && r.inputs?.kind) {
      const name = r.inputs.metadata?.name ?? r.name;
      files.add(`${String(r.inputs.kind).toLowerCase()}-${name}.yaml`);
    }
  }
  return files;
}

for (const stack of STACKS) {
  const dir = join(planRoot, stack);
  const manifests = join(dir, 'manifests');

  test(`${stack}: the plan rendered Kubernetes manifests`, () => {
    assert.ok(existsSync(manifests), `no ${manifests}: run the plan first (./mvnw verify does)`);
    const files = readdirSync(manifests).filter((f) => f.endsWith('.yaml'));
    for (const expected of ['configmap-env.yaml', 'daemonset-contrail-agent.yaml', 'daemonset-contrail-kube-manager.yaml']) {
      assert.ok(files.includes(expected), `${stack}: ${expected} missing from ${manifests}`);
    }
  });

  test(`${stack}: every manifest validates against the Kubernetes OpenAPI schema`, async () => {
    assert.ok(existsSync(manifests), `no ${manifests}`);
    const patches = patchFiles(dir);
    const failures = [];
    for (const file of readdirSync(manifests).filter((f) => f.endsWith('.yaml')).sort()) {
      const object = parse(readFileSync(join(manifests, file), 'utf8'));
      const { apiVersion, kind } = object ?? {};
      const Model = apiVersion && kind ? await modelFor(apiVersion, kind) : null;
      if (!Model) {
        failures.push(`${file}: ${apiVersion} ${kind} is not a Kubernetes API (removed or unknown)`);
        continue;
      }
      try {
        new Model(object).validate();
      } catch (e) {
        const errors = (e.errors ?? [{ message: e.message, instancePath: '' }])
          .filter((err) => !(patches.has(file) && err.keyword === 'required'));
        if (errors.length > 0) {
          failures.push(`${file}: ${errors.map((err) => `${err.instancePath || '/'} ${err.message}`).join('; ')}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test(`${stack}: no object uses a removed API version`, () => {
    const removed = /^(extensions\/v1beta1|apps\/v1beta[12]|rbac\.authorization\.k8s\.io\/v1(alpha1|beta1)|policy\/v1beta1|batch\/v1beta1|networking\.k8s\.io\/v1beta1|apiextensions\.k8s\.io\/v1beta1)$/;
    for (const file of readdirSync(manifests).filter((f) => f.endsWith('.yaml'))) {
      const { apiVersion } = parse(readFileSync(join(manifests, file), 'utf8'));
      assert.doesNotMatch(apiVersion, removed, `${file} uses ${apiVersion}`);
    }
  });

  test(`${stack}: the vRouter agent tolerates not-ready nodes and runs on masters too, never on TF controllers`, () => {
    const ds = parse(readFileSync(join(manifests, 'daemonset-contrail-agent.yaml'), 'utf8'));
    const pod = ds.spec.template.spec;
    assert.ok(pod.tolerations.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoSchedule'));
    // Masters need a pod network (webhooks, aggregated APIs): the agent tolerates kubeadm's control-plane taint.
    assert.ok(pod.tolerations.some((t) => t.key === 'node-role.kubernetes.io/control-plane' && t.effect === 'NoSchedule'));
    const expressions = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
      .flatMap((t) => t.matchExpressions);
    assert.ok(!expressions.some((e) => e.key === 'node-role.kubernetes.io/control-plane'));
    assert.ok(expressions.some((e) => e.key === 'node-role.opencontrail.org/config' && e.operator === 'NotIn'));
  });

  // A kubectl/Go decoder rejects 1.0 for an int32 field. The manifests come from the mock engine's inputs, where
  // every number is a double; the plan writer should print whole numbers as integers. Reported, not yet fixed there.
  test(`${stack}: integer fields are written as integers`, () => {
    const floats = [];
    for (const file of readdirSync(manifests).filter((f) => f.endsWith('.yaml'))) {
      const text = readFileSync(join(manifests, file), 'utf8');
      for (const line of text.split('\n')) {
        if (/:\s+-?\d+\.0$/.test(line)) floats.push(`${file}: ${line.trim()}`);
      }
    }
    assert.deepEqual(floats, []);
  });
}
