// Unknowns (pulumi preview) in the harness and the policies, checked against @pulumi/policy's analyzer server.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { formatNotChecked, PlanElement, runPack } from "../src/offline/harness";
import { kubeletReservations } from "../src/scale";
import { noSecretsInUserData } from "../src/security";
import { Deferred, UNKNOWN } from "../src/lib/unknowns";
import { encodeUserData } from "../src/lib/userdata";
import { buildFixtureStack, clone } from "./lib/fixture";
import { cantRunInPreview, runThroughEngine } from "./lib/engine";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const INSTANCE = "aws:ec2/instance:Instance";

const stackRoot: PlanElement = { type: "pulumi:pulumi:Stack", name: "kilonode-u", parent: null, inputs: {} };

describe("harness under unknowns", () => {
    const reportsThenReads: ResourceValidationPolicy = {
        name: "t-reports-then-reads", description: "test policy", enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            if (args.type !== INSTANCE) {
                return;
            }
            report("known part violates");
            if (args.props.metadataOptions.httpTokens !== "required") {
                report("not required");
            }
        },
    };
    const swallows: ResourceValidationPolicy = {
        name: "t-swallows", description: "test policy", enforcementLevel: "mandatory",
        validateResource: (args) => {
            try {
                void args.props.metadataOptions.httpTokens;
            } catch {
                // a catch-all: the unknown is taken as "nothing to check"
            }
        },
    };
    const plan: PlanElement[] = [stackRoot, {
        type: INSTANCE, name: "m", parent: "kilonode-u", id: UNKNOWN,
        inputs: { instanceType: "m5.large", metadataOptions: { httpEndpoint: "enabled", httpTokens: UNKNOWN } },
    }];

    it("reads an unknown as the engine does: the violations so far stay, the rest is not checked", async () => {
        const policies: Policies = [reportsThenReads];
        const r = await runPack(plan, { policies });
        assert.deepEqual(r.violations.map((v) => v.message), ["known part violates"]);
        assert.deepEqual(r.notChecked.map(formatNotChecked),
            [`not checked in preview: t-reports-then-reads on m (${INSTANCE}): .metadataOptions.httpTokens unknown`]);
        assert.deepEqual(r.passes.filter((p) => p.urn?.endsWith("::m")), []);
        const engine = await runThroughEngine(plan, policies, "u");
        assert.deepEqual(engine.filter((d) => !cantRunInPreview(d)).map((d) => d.message), ["test policy\nknown part violates"]);
        assert.deepEqual(engine.filter(cantRunInPreview).map((d) => [d.level, d.message]), [["advisory", r.notChecked[0].engineMessage]]);
    });

    it("flags a policy that swallows an UnknownValueError and passes", async () => {
        const r = await runPack(plan, { policies: [swallows] });
        assert.equal(r.decidedOnUnknown.length, 1);
        assert.equal(r.decidedOnUnknown[0].reads[0].property, "metadataOptions.httpTokens");
        assert.deepEqual(r.notChecked, []);
    });

    it("Deferred: a stack policy reports the known resources' violations and the unknown ones as not checked", async () => {
        const policy: StackValidationPolicy = {
            name: "t-deferred", description: "test policy", enforcementLevel: "mandatory",
            validateStack: (args, report) => {
                const d = new Deferred();
                for (const r of args.resources.filter((x) => x.type === INSTANCE)) {
                    d.check(r, () => {
                        if (r.props.instanceType !== "m5.large") {
                            report(`${r.name} is ${r.props.instanceType}`, r.urn);
                        }
                    });
                }
                d.finish();
            },
        };
        const stack: PlanElement[] = [stackRoot,
            { type: INSTANCE, name: "a", parent: "kilonode-u", inputs: { instanceType: UNKNOWN } },
            { type: INSTANCE, name: "b", parent: "kilonode-u", inputs: { instanceType: "t3.nano" } },
            { type: INSTANCE, name: "c", parent: "kilonode-u", inputs: { instanceType: UNKNOWN } },
        ];
        const r = await runPack(stack, { policies: [policy] });
        assert.deepEqual(r.violations.map((v) => v.message), ["b is t3.nano"]);
        assert.deepEqual(r.notChecked.map((n) => `${n.name} ${n.property}`), ["a .instanceType", "c .instanceType"]);
        const engine = await runThroughEngine(stack, [policy], "u");
        assert.equal(engine.filter((d) => !cantRunInPreview(d)).length, 1);
        const cant = engine.filter(cantRunInPreview);
        assert.equal(cant.length, 1);
        assert.match(cant[0].message, /during preview: not decidable before the values exist: a \(string value at \.instanceType/);
        assert.match(cant[0].message, /; c \(string value/);
    });
});

describe("policies under unknowns", () => {
    it("kilonode-no-secrets-in-user-data: unknown user-data is not checked, undecodable user-data is reported", async () => {
        const unknown = await runPack([stackRoot, { type: LT, name: "w", parent: "kilonode-u", inputs: { userData: UNKNOWN } }],
            { policies: [noSecretsInUserData] });
        assert.deepEqual(unknown.notChecked.map(formatNotChecked),
            [`not checked in preview: kilonode-no-secrets-in-user-data on w (${LT}): .userData unknown`]);
        assert.deepEqual(unknown.violations, []);
        const garbage = await runPack([stackRoot, { type: LT, name: "w", parent: "kilonode-u", inputs: { userData: "not-base64!" } }],
            { policies: [noSecretsInUserData] });
        assert.equal(garbage.violations.length, 1);
        assert.match(garbage.violations[0].message, /could not be decoded \(value is not base64\)/);
        const masked = await runPack([stackRoot, { type: LT, name: "w", parent: "kilonode-u", inputs: { userData: "[secret]" } }],
            { policies: [noSecretsInUserData] });
        assert.deepEqual(masked.violations, []);
        const fine = await runPack([stackRoot, { type: LT, name: "w", parent: "kilonode-u", inputs: { userData: encodeUserData("#cloud-config\n") } }],
            { policies: [noSecretsInUserData] });
        assert.deepEqual([fine.violations, fine.notChecked], [[], []]);
    });

    it("kilonode-kubelet-reservations: a worker template with unknown user-data is not checked, the others still are", async () => {
        const plan = clone(buildFixtureStack());
        const workers = plan.filter((e) => e.type === LT && /worker/.test(e.name));
        assert.ok(workers.length >= 1, "fixture has a worker launch template");
        const unknownOne: PlanElement = { ...clone(workers[0]), name: `${workers[0].name}-preview`, inputs: { ...clone(workers[0].inputs), userData: UNKNOWN } };
        const brokenOne: PlanElement = { ...clone(workers[0]), name: `${workers[0].name}-bare`,
            inputs: { ...clone(workers[0].inputs), userData: encodeUserData("#cloud-config\nwrite_files: []\n") } };
        plan.push(unknownOne, brokenOne);
        const r = await runPack(plan, { policies: [kubeletReservations] });
        assert.ok(r.violations.some((v) => v.urn?.endsWith(`::${brokenOne.name}`)), "the known, unreserved worker is reported");
        assert.ok(r.notChecked.some((n) => n.name === unknownOne.name && n.property === ".userData"));
        assert.deepEqual(r.decidedOnUnknown, []);
    });
});
