// Whole-pack scenarios shared by the fixture test and the real-plan test: run the pack with a config file,
// and check that a mutation is caught by exactly the policy meant to catch it.
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../src/policies";
import { formatViolations, loadConfigFile, PackConfigFile, PlanElement, runPack, Violation } from "../../src/offline/harness";
import { resolvePricesFile } from "../../src/lib/pricing";
import { Res, StackView, T, tagsOf } from "../../src/lib/resources";
import { KUBEADM_INIT_PATH } from "../../src/lib/userdata";
import { FIXTURE_PRICES, ROOT, clone } from "./fixture";
import { find, mutateWriteFileDocs, setExtraArg } from "./run";

export const CONFIGS = ["dev.json", "production.json"] as const;

/** Loads config/<name>; when the Java side's prices file is absent, points the cost policy at the test fixture. */
export function packConfig(name: string | undefined, opts: { forceFixturePrices?: boolean } = {}): { config?: PackConfigFile; note?: string } {
    const config: PackConfigFile = name ? loadConfigFile(path.join(ROOT, "config", name)) : {};
    const real = resolvePricesFile();
    if (opts.forceFixturePrices || !fs.existsSync(real)) {
        const cur = config["kilonode-max-hourly-cost"];
        const base = typeof cur === "string" ? { enforcementLevel: cur } : (cur ?? {});
        config["kilonode-max-hourly-cost"] = { ...base, pricesFile: FIXTURE_PRICES };
        return { config, note: opts.forceFixturePrices ? undefined : `${real} not found: priced with the test fixture ${FIXTURE_PRICES}` };
    }
    return { config };
}

export async function run(plan: PlanElement[], config?: PackConfigFile): Promise<Violation[]> {
    return (await runPack(plan, { policies, config })).violations;
}

export function countsByPolicy(vs: Violation[]): Map<string, number> {
    const m = new Map<string, number>();
    for (const v of vs) {
        m.set(v.policy, (m.get(v.policy) ?? 0) + 1);
    }
    return m;
}

/** Policies whose number of violations differs between two runs. */
export function changedPolicies(before: Violation[], after: Violation[]): string[] {
    const a = countsByPolicy(before);
    const b = countsByPolicy(after);
    return [...new Set([...a.keys(), ...b.keys()])].filter((p) => (a.get(p) ?? 0) !== (b.get(p) ?? 0)).sort();
}

export function mandatory(vs: Violation[]): Violation[] {
    return vs.filter((v) => v.level === "mandatory");
}

// --- mutations (each returns a description of what it changed) ---------------------------------------------

/** Adds "tcp 22 from 0.0.0.0/0" to a security group (a worker one when there is one). */
export function openSsh(plan: PlanElement[]): string {
    const sgs = plan.filter((e) => e.type === T.securityGroup);
    assert.ok(sgs.length > 0, "plan has no aws:ec2/securityGroup:SecurityGroup to open");
    const sg = sgs.find((e) => /worker/.test(e.name)) ?? sgs[0];
    sg.inputs.ingress = [...(Array.isArray(sg.inputs.ingress) ? sg.inputs.ingress : []),
        { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"], description: "ssh from anywhere" }];
    return `opened tcp 22 from 0.0.0.0/0 on ${sg.name}`;
}

/** Removes the CostCenter tag from one tagged resource (a security group or VPC when possible). */
export function dropCostCenter(plan: PlanElement[]): string {
    const tagged = plan.filter((e) => e.type.startsWith("aws:") && e.inputs?.tags && !Array.isArray(e.inputs.tags)
        && "CostCenter" in e.inputs.tags);
    assert.ok(tagged.length > 0, "plan has no resource with a CostCenter tag");
    const e = tagged.find((x) => x.type === T.securityGroup) ?? tagged.find((x) => x.type === "aws:ec2/vpc:Vpc") ?? tagged[0];
    delete e.inputs.tags.CostCenter;
    return `removed CostCenter from ${e.type} ${e.name}`;
}

/** Sets max-requests-inflight to 400 in the init.yaml of every master that has one; the plan must have >= 500 workers. */
export function inflight400(plan: PlanElement[]): string {
    const view = new StackView(plan.map((e) => ({ type: e.type, name: e.name, urn: e.name, props: e.inputs })) as Res[]);
    const workers = view.workerCounts().max; // worker groups start at the ramp's first step and grow to maxSize
    assert.ok(workers >= 500, `inflight mutation needs a plan with >= 500 workers, this one has ${workers}`);
    const masters = plan.filter((e) => (e.type === T.instance || e.type === T.launchTemplate)
        && tagsOf(e.inputs)?.["kilonode:role"] === "master");
    let n = 0;
    for (const m of masters) {
        try {
            mutateWriteFileDocs(m, KUBEADM_INIT_PATH, (docs) => {
                const cc = docs.find((d) => d?.kind === "ClusterConfiguration");
                setExtraArg(cc.apiServer, "max-requests-inflight", "400");
            });
            n++;
        } catch (e) {
            if (!/no write_files entry/.test((e as Error).message)) {
                throw e;
            }
        }
    }
    assert.ok(n > 0, "no master has " + KUBEADM_INIT_PATH);
    return `set max-requests-inflight=400 on ${n} master(s) at ${workers} workers`;
}

/** Opens etcd (tcp 2379) on the master security group to the worker security group, as a separate rule. */
export function etcdFromWorkers(plan: PlanElement[]): string {
    const sgs = plan.filter((e) => e.type === T.securityGroup);
    const role = (e: PlanElement) => tagsOf(e.inputs)?.["kilonode:role"];
    const master = sgs.find((e) => role(e) === "master") ?? sgs.find((e) => /master/.test(e.name));
    const worker = sgs.find((e) => role(e) === "worker") ?? sgs.find((e) => /worker/.test(e.name));
    assert.ok(master && worker, "plan needs a master and a worker security group");
    plan.push({
        type: T.sgIngressRule, name: "mutation-etcd-from-workers", parent: master.parent ?? null,
        inputs: {
            securityGroupId: master.name, referencedSecurityGroupId: worker.name, ipProtocol: "tcp",
            fromPort: 2379, toPort: 2379, description: "etcd from workers", tags: { ...(master.inputs.tags ?? {}) },
        },
    });
    return `opened tcp 2379 on ${master.name} to ${worker.name}`;
}

/** Suspends versioning of every bucket. */
export function suspendVersioning(plan: PlanElement[]): string {
    const vs = plan.filter((e) => e.type === T.bucketVersioningV2 || e.type === T.bucketVersioning);
    assert.ok(vs.length > 0, "plan has no bucket versioning resource");
    for (const v of vs) {
        v.inputs.versioningConfiguration = { ...(v.inputs.versioningConfiguration ?? {}), status: "Suspended" };
    }
    return `suspended versioning on ${vs.map((v) => v.name).join(", ")}`;
}

export const MUTATIONS: { name: string; policy: string; apply: (plan: PlanElement[]) => string; needsScale?: boolean }[] = [
    { name: "an open port 22 from 0.0.0.0/0", policy: "kilonode-no-public-ingress", apply: openSsh },
    { name: "a missing CostCenter tag", policy: "kilonode-required-tags", apply: dropCostCenter },
    { name: "max-requests-inflight 400 at 1,000 workers", policy: "kilonode-control-plane-tuning", apply: inflight400, needsScale: true },
    { name: "etcd 2379 opened to the worker security group", policy: "kilonode-etcd-master-only", apply: etcdFromWorkers },
    { name: "suspended versioning of the etcd backup bucket", policy: "kilonode-etcd-backup-versioned", apply: suspendVersioning },
];

/** Applies a mutation to a copy of the plan and asserts that exactly `policy` changes, and is mandatory when configured so. */
export async function assertCaughtExactly(plan: PlanElement[], baseline: Violation[], config: PackConfigFile | undefined,
                                          mutation: typeof MUTATIONS[number]): Promise<void> {
    const copy = clone(plan);
    const what = mutation.apply(copy);
    const after = await run(copy, config);
    const changed = changedPolicies(baseline, after);
    assert.deepEqual(changed, [mutation.policy],
        `${what}: expected only ${mutation.policy} to fire, got ${JSON.stringify(changed)}\n` +
        formatViolations(after.filter((v) => changed.includes(v.policy))));
    const fired = after.filter((v) => v.policy === mutation.policy);
    const configured = config?.[mutation.policy];
    const level = typeof configured === "string" ? configured : configured?.enforcementLevel;
    if (level) {
        assert.ok(fired.every((v) => v.level === level), `${mutation.policy} should report at level ${level}`);
    }
}
