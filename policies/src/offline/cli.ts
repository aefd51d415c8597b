// Usage: node dist/src/offline/cli.js <resources.json> [policy-pack-config.json]
// Prints every violation, then every check a preview plan's unknowns left undecided ("not checked in preview: ...",
// advisory under `pulumi preview` too); exits 1 when a mandatory violation is found (like `pulumi preview --policy-pack`).
import { policies } from "../policies";
import { formatNotChecked, formatViolations, loadConfigFile, loadPlan, runPack } from "./harness";

async function main(): Promise<number> {
    const [planFile, configFile] = process.argv.slice(2);
    if (!planFile) {
        console.error("usage: node dist/src/offline/cli.js <target/plan/<stack>/resources.json> [config/production.json]");
        return 2;
    }
    const plan = loadPlan(planFile);
    const config = configFile ? loadConfigFile(configFile) : undefined;
    const { violations, notChecked, decidedOnUnknown } = await runPack(plan, { policies, config });
    if (violations.length > 0) {
        console.log(formatViolations(violations));
    }
    notChecked.forEach((n) => console.log(formatNotChecked(n)));
    for (const d of decidedOnUnknown) {
        console.log(`policy bug: ${d.policy} decided on an unknown value (${d.reads.map((r) => `${r.name}.${r.property}`).join(", ")})`);
    }
    const mandatory = violations.filter((v) => v.level === "mandatory").length;
    console.log(`${violations.length} violation(s), ${mandatory} mandatory, ${notChecked.length} check(s) not decidable ` +
        `before the values exist, over ${plan.length} resources.`);
    return mandatory > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
    console.error(e);
    process.exit(2);
});
