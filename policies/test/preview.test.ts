// The pack over the preview plans PreviewModeTest writes (../target/plan-preview/<stack>: the stack program run in the
// Pulumi Java SDK's preview mode, every input as the SDK sent it to the engine, unknowns as the engine's sentinel,
// propertyDependencies from the RegisterResource requests). KILONODE_PREVIEW_PLAN_DIR overrides the directory.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../src/policies";
import { formatNotChecked, loadPlan, PlanElement, runPack, RunResult, stackNameOf } from "../src/offline/harness";
import { isUnknown, UNKNOWN } from "../src/lib/unknowns";
import { T, tagsOf } from "../src/lib/resources";
import { ROOT, clone } from "./lib/fixture";
import { cantRunInPreview, runThroughEngine } from "./lib/engine";
import { packConfig } from "./lib/scenarios";

const PLAN_DIR = process.env.KILONODE_PLAN_DIR
    ? path.resolve(process.env.KILONODE_PLAN_DIR)
    : path.resolve(ROOT, "..", "target", "plan");

const PREVIEW_DIR = process.env.KILONODE_PREVIEW_PLAN_DIR
    ? path.resolve(process.env.KILONODE_PREVIEW_PLAN_DIR)
    : path.resolve(ROOT, "..", "target", "plan-preview");

function read(dir: string, stack: string, what: string): PlanElement[] {
    const file = path.join(dir, stack, "resources.json");
    if (!fs.existsSync(file)) {
        assert.fail(`${file} does not exist: ${what}.`);
    }
    return loadPlan(file);
}

const previewOf = (stack: string) => read(PREVIEW_DIR, stack, "run PreviewModeTest first (./mvnw verify runs it before the npm tests)");
const planOf = (stack: string) => read(PLAN_DIR, stack, `run the plan first (java -jar target/kilonode.jar plan --stack ${stack})`);

function configName(stack: string): "production.json" | "dev.json" {
    const summary = JSON.parse(fs.readFileSync(path.join(PREVIEW_DIR, stack, "summary.json"), "utf8"));
    return summary?.settings?.production === true ? "production.json" : "dev.json";
}

function containsUnknown(v: unknown): boolean {
    if (isUnknown(v)) {
        return true;
    }
    if (Array.isArray(v)) {
        return v.some(containsUnknown);
    }
    return !!v && typeof v === "object" && Object.values(v).some(containsUnknown);
}

const key = (policy: string, urn?: string) => `${policy} ${urn ?? "(stack)"}`;
const isStackPolicy = (name: string) => !!(policies.find((p) => p.name === name) as any)?.validateStack;

function machine(plan: PlanElement[], type: string, role: string): PlanElement {
    const found = plan.filter((e) => e.type === type && tagsOf(e.inputs)?.["kilonode:role"] === role
        || e.type === type && e.inputs?.tagSpecifications?.some?.((s: any) => s?.tags?.["kilonode:role"] === role));
    assert.ok(found.length > 0, `no ${type} with kilonode:role=${role}`);
    return found[0];
}

function notCheckedOn(r: RunResult, policy: string, name: string, property: string): boolean {
    return r.notChecked.some((n) => n.policy === policy && n.name === name && n.property === property);
}

function urnOf(r: RunResult, name: string): string {
    const hit = [...r.passes, ...r.notChecked, ...r.violations].find((x: any) => x.urn?.endsWith(`::${name}`));
    assert.ok(hit?.urn, `no result for ${name}`);
    return hit!.urn!;
}

for (const stack of ["dev", "scale"]) {
    describe(`preview plan ${stack}`, () => {
        it("registers the same resources as the plan, and has unknowns where the plan has values", () => {
            const preview = previewOf(stack);
            const plan = planOf(stack);
            const names = (p: PlanElement[]) => p.map((e) => `${e.type}::${e.name}`).sort();
            assert.deepEqual(names(preview), names(plan));
            assert.ok(preview.some((e) => containsUnknown(e.inputs)), "the preview plan has no unknown input");
            assert.ok(!plan.some((e) => containsUnknown(e.inputs)), "the plan has unknown inputs");
        });

        it("gets the same verdicts from the harness as from @pulumi/policy's analyzer server (server.js, in-process)", async () => {
            const preview = previewOf(stack);
            const harness = await runPack(preview, { policies });
            const engine = await runThroughEngine(preview, policies, stackNameOf(preview));
            // Violations: same policy, resource and message.
            const engineViolations = engine.filter((d) => !cantRunInPreview(d))
                .map((d) => `${key(d.policy, d.urn || d.resourceUrn)} ${d.level} ${d.message}`).sort();
            const harnessViolations = harness.violations.map((v) => {
                const p = policies.find((x) => x.name === v.policy)!;
                return `${key(v.policy, v.urn)} ${v.level} ${p.description}\n${v.message}`;
            }).sort();
            assert.deepEqual(harnessViolations, engineViolations);
            // Not checked in preview: the engine's advisory "can't run ... during preview", per resource for resource
            // policies, once per stack policy; the harness lists the same, with the resource each unknown belongs to.
            const engineCantRun = engine.filter(cantRunInPreview);
            assert.ok(engineCantRun.every((d) => d.level === "advisory"));
            const engineKeys = new Set(engineCantRun.map((d) => isStackPolicy(d.policy) ? key(d.policy) : key(d.policy, d.resourceUrn)));
            const harnessKeys = new Set(harness.notChecked.map((n) => isStackPolicy(n.policy) ? key(n.policy) : key(n.policy, n.urn)));
            assert.deepEqual([...harnessKeys].sort(), [...engineKeys].sort());
            assert.deepEqual(new Set(harness.notChecked.map((n) => n.engineMessage)), new Set(engineCantRun.map((d) => d.message)));
            assert.ok(engineCantRun.length > 0, "the engine could run everything: the preview plan has no unknown a policy needs");
        });

        it("reports each unknown-dependent check as not checked, and no policy decides on an unknown", async (t) => {
            const preview = previewOf(stack);
            const { config } = packConfig(configName(stack));
            const r = await runPack(preview, { policies, config });
            r.notChecked.forEach((n) => t.diagnostic(formatNotChecked(n)));
            assert.deepEqual(r.decidedOnUnknown, [], "a policy caught an UnknownValueError and still gave a verdict");
            const master = machine(preview, T.instance, "master");
            const workerLt = machine(preview, T.launchTemplate, "worker");
            assert.ok(isUnknown(master.inputs.userDataBase64), "the master's user-data is known in the preview plan");
            assert.ok(notCheckedOn(r, "kilonode-no-secrets-in-user-data", master.name, ".userDataBase64"));
            assert.ok(notCheckedOn(r, "kilonode-control-plane-tuning", master.name, ".userDataBase64"));
            assert.ok(notCheckedOn(r, "kilonode-etcd-backup-versioned", master.name, ".userDataBase64"));
            assert.ok(notCheckedOn(r, "kilonode-kubelet-reservations", workerLt.name, ".userData"));
            assert.ok(notCheckedOn(r, "kilonode-no-secrets-in-user-data", workerLt.name, ".userData"));
            // Nothing that is not checked is counted as a pass.
            const passed = new Set(r.passes.map((p) => key(p.policy, p.urn)));
            for (const n of r.notChecked) {
                assert.ok(!passed.has(key(n.policy, isStackPolicy(n.policy) ? undefined : n.urn)), `${formatNotChecked(n)} is also a pass`);
            }
        });

        it("never passes what the plan fails, and fails nothing the plan passes", async () => {
            const { config } = packConfig(configName(stack));
            const preview = await runPack(previewOf(stack), { policies, config });
            const plan = await runPack(planOf(stack), { policies, config });
            const undecided = new Set(preview.notChecked.map((n) => isStackPolicy(n.policy) ? key(n.policy) : key(n.policy, n.urn)));
            const previewViolations = new Set(preview.violations.map((v) => `${key(v.policy, v.urn)} ${v.message}`));
            for (const v of plan.violations) {
                const k = isStackPolicy(v.policy) ? key(v.policy) : key(v.policy, v.urn);
                assert.ok(previewViolations.has(`${key(v.policy, v.urn)} ${v.message}`) || undecided.has(k),
                    `the plan violates ${key(v.policy, v.urn)} but the preview neither reports it nor says it is not checked`);
            }
            const planViolations = new Set(plan.violations.map((v) => `${key(v.policy, v.urn)} ${v.message}`));
            for (const v of preview.violations) {
                assert.ok(planViolations.has(`${key(v.policy, v.urn)} ${v.message}`), `only the preview reports ${v.policy}: ${v.message}`);
            }
        });

        it("without the engine's unknowns (dropped, as the SDK's mock monitor hands inputs to mocks) the master's user-data checks would pass silently", async () => {
            const preview = previewOf(stack);
            const dropped = clone(preview).map((e) => ({
                ...e,
                inputs: Object.fromEntries(Object.entries(e.inputs ?? {}).filter(([, v]) => !containsUnknown(v))),
            }));
            const master = machine(preview, T.instance, "master");
            const faithful = await runPack(preview, { policies });
            const silent = await runPack(dropped, { policies });
            const urn = urnOf(faithful, master.name);
            const passes = (r: RunResult, policy: string) => r.passes.some((p) => p.policy === policy && p.urn === urn);
            assert.ok(passes(silent, "kilonode-no-secrets-in-user-data"), "with the unknown dropped the check passes");
            assert.ok(!passes(faithful, "kilonode-no-secrets-in-user-data"));
            assert.ok(notCheckedOn(faithful, "kilonode-no-secrets-in-user-data", master.name, ".userDataBase64"));
        });

        it("decides etcd-master-only through propertyDependencies when the group ids are unknown", async () => {
            const preview = previewOf(stack);
            const sgs = preview.filter((e) => e.type === T.securityGroup);
            const role = (e: PlanElement) => tagsOf(e.inputs)?.["kilonode:role"];
            const masterSg = sgs.find((e) => role(e) === "master") ?? sgs.find((e) => /master/.test(e.name));
            const workerSg = sgs.find((e) => role(e) === "worker") ?? sgs.find((e) => /worker/.test(e.name));
            assert.ok(masterSg && workerSg);
            const rule = (name: string, deps: boolean): PlanElement => ({
                type: T.sgIngressRule, name, parent: masterSg!.parent ?? null, id: UNKNOWN,
                inputs: {
                    securityGroupId: UNKNOWN, referencedSecurityGroupId: UNKNOWN, ipProtocol: "tcp", fromPort: 2379,
                    toPort: 2379, description: "etcd from workers", tags: { ...(masterSg!.inputs.tags ?? {}) },
                },
                propertyDependencies: deps ? {
                    securityGroupId: [`${T.securityGroup}::${masterSg!.name}`],
                    referencedSecurityGroupId: [`${T.securityGroup}::${workerSg!.name}`],
                } : {},
            });
            const withDeps = await runPack([...clone(preview), rule("mutation-etcd-from-workers", true)], { policies });
            assert.ok(withDeps.violations.some((v) => v.policy === "kilonode-etcd-master-only"
                && v.urn?.endsWith("::mutation-etcd-from-workers") && v.message.includes(workerSg!.name)),
                "the rule's dependencies name the master and worker groups: a violation");
            const noDeps = await runPack([...clone(preview), rule("mutation-etcd-unknown", false)], { policies });
            assert.ok(!noDeps.violations.some((v) => v.policy === "kilonode-etcd-master-only"));
            assert.ok(noDeps.notChecked.some((n) => n.policy === "kilonode-etcd-master-only" && n.name === "mutation-etcd-unknown"),
                "without dependencies the rule's target is unknown: not checked, not a pass");
            assert.ok(!noDeps.passes.some((p) => p.policy === "kilonode-etcd-master-only"));
        });
    });
}

