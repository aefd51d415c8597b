// The whole pack over the hand-written fixture stack (test/fixtures/stack), with both shipped configs.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { formatViolations, loadPlan, runPack } from "../src/offline/harness";
import { policies } from "../src/policies";
import { decodeUserData } from "../src/lib/userdata";
import { buildFixtureStack, FIXTURES } from "./lib/fixture";
import { assertCaughtExactly, CONFIGS, MUTATIONS, packConfig, run } from "./lib/scenarios";

describe("fixture stack", () => {
    for (const name of CONFIGS) {
        it(`has no violations at all with config/${name}`, async () => {
            const { config } = packConfig(name, { forceFixturePrices: true });
            const vs = await run(buildFixtureStack(), config);
            assert.deepEqual(vs, [], formatViolations(vs));
        });

        for (const m of MUTATIONS.filter((x) => !x.needsScale)) {
            it(`with config/${name}, ${m.name} is caught by exactly ${m.policy}`, async () => {
                const { config } = packConfig(name, { forceFixturePrices: true });
                const plan = buildFixtureStack();
                await assertCaughtExactly(plan, await run(plan, config), config, m);
            });
        }
    }

    it("disabling a policy in the config silences it", async () => {
        const plan = buildFixtureStack();
        plan.find((e) => e.name === "vpc")!.inputs.tags = {};
        const { config } = packConfig("production.json", { forceFixturePrices: true });
        const on = await run(plan, config);
        assert.equal(on.filter((v) => v.policy === "kilonode-required-tags" && v.level === "mandatory").length, 1);
        const off = await runPack(plan, { policies, config: { ...config, "kilonode-required-tags": "disabled" } });
        assert.deepEqual(off.violations, []);
    });

    it("test/fixtures/stack/resources.json is the builder's output (run `npm run fixtures` after editing)", () => {
        const file = path.join(FIXTURES, "stack", "resources.json");
        assert.ok(fs.existsSync(file), `${file} missing: run npm run fixtures`);
        const committed = loadPlan(file);
        const built = buildFixtureStack();
        const normalise = (plan: typeof built) => plan.map((e) => {
            const inputs = { ...e.inputs };
            for (const k of ["userData", "userDataBase64"]) {
                if (typeof inputs[k] === "string") {
                    inputs[k] = decodeUserData(e.type, inputs)?.text;
                }
            }
            return { ...e, inputs };
        });
        assert.deepEqual(normalise(committed), normalise(built));
    });
});
