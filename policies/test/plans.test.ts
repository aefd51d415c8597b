// The pack over the real offline plans written by `./mvnw verify` (pre-integration-test) to ../target/plan/<stack>/.
// KILONODE_PLAN_DIR overrides the directory holding <stack>/resources.json.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { formatViolations, loadPlan, PlanElement } from "../src/offline/harness";
import { ROOT } from "./lib/fixture";
import { assertCaughtExactly, CONFIGS, mandatory, MUTATIONS, packConfig, run } from "./lib/scenarios";

export const PLAN_DIR = process.env.KILONODE_PLAN_DIR
    ? path.resolve(process.env.KILONODE_PLAN_DIR)
    : path.resolve(ROOT, "..", "target", "plan");

const RUN_PLAN_FIRST = (stack: string) =>
    `run the plan first (./mvnw verify writes target/plan/dev and target/plan/scale; or ` +
    `java -jar target/kilonode.jar plan --stack ${stack})`;

function planOf(stack: string): PlanElement[] {
    const file = path.join(PLAN_DIR, stack, "resources.json");
    if (!fs.existsSync(file)) {
        assert.fail(`${file} does not exist: ${RUN_PLAN_FIRST(stack)}.`);
    }
    return loadPlan(file);
}

/** config/production.json for a stack whose summary.json says settings.production = true, else config/dev.json. */
function matchingConfig(stack: string): "production.json" | "dev.json" {
    const file = path.join(PLAN_DIR, stack, "summary.json");
    if (!fs.existsSync(file)) {
        assert.fail(`${file} does not exist: ${RUN_PLAN_FIRST(stack)}.`);
    }
    const summary = JSON.parse(fs.readFileSync(file, "utf8"));
    return summary?.settings?.production === true ? "production.json" : "dev.json";
}

for (const stack of ["dev", "scale"]) {
    describe(`plan ${stack}`, () => {
        for (const which of ["defaults", "matching"] as const) {
            it(`has no mandatory violations with ${which === "defaults" ? "the pack's default levels" : "its config (production.json when summary.json says production, else dev.json)"}`, async (t) => {
                const plan = planOf(stack);
                const name = which === "defaults" ? undefined : matchingConfig(stack);
                const { config, note } = packConfig(name);
                t.diagnostic(`config: ${name ?? "none"}, ${plan.length} resources`);
                if (note) {
                    t.diagnostic(note);
                }
                const vs = await run(plan, config);
                for (const v of vs.filter((x) => x.level !== "mandatory")) {
                    t.diagnostic(`advisory: ${v.policy}: ${v.message}`);
                }
                const blocking = mandatory(vs);
                assert.deepEqual(blocking, [], formatViolations(blocking));
            });
        }

        for (const name of CONFIGS) {
            for (const m of MUTATIONS) {
                if (m.needsScale && stack !== "scale") {
                    continue;
                }
                it(`with config/${name}, ${m.name} is caught by exactly ${m.policy}`, async () => {
                    const plan = planOf(stack);
                    const { config } = packConfig(name);
                    await assertCaughtExactly(plan, await run(plan, config), config, m);
                });
            }
        }
    });
}
