// On-demand prices, read at run time from the Java side's pricing file (the contract's format):
// {"currency":"USD","retrieved":"YYYY-MM-DD","source":"...",
//  "instances":{"<region>":{"<type>":<hourly>}},"other":{"<region>":{"nlb":..,"natGateway":..}}}
import * as fs from "fs";
import * as path from "path";

export interface Prices {
    currency?: string;
    retrieved?: string;
    source?: string;
    instances?: Record<string, Record<string, number>>;
    other?: Record<string, Record<string, number>>;
}

/** Default prices file, relative to the policy pack's root (the directory holding PulumiPolicy.yaml). */
export const DEFAULT_PRICES_FILE = "../src/main/resources/pricing/on-demand.json";

/**
 * The pack root: the nearest directory at or above this (compiled or ts-node loaded) file that has a
 * PulumiPolicy.yaml. Works for src/lib (ts-node under `pulumi preview`) and dist/src/lib (tests).
 */
export function packRoot(start: string = __dirname): string {
    let dir = start;
    for (;;) {
        if (fs.existsSync(path.join(dir, "PulumiPolicy.yaml"))) {
            return dir;
        }
        const parent = path.dirname(dir);
        if (parent === dir) {
            return path.resolve(start, "..", "..");
        }
        dir = parent;
    }
}

export function resolvePricesFile(configured?: string): string {
    const p = configured && configured.trim() !== "" ? configured : DEFAULT_PRICES_FILE;
    return path.isAbsolute(p) ? p : path.resolve(packRoot(), p);
}

export function loadPrices(file: string): { prices?: Prices; problem?: string } {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        return { problem: `prices file ${file} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
    }
    try {
        const prices = JSON.parse(text) as Prices;
        if (!prices || typeof prices !== "object") {
            return { problem: `prices file ${file} is not a JSON object` };
        }
        return { prices };
    } catch (e) {
        return { problem: `prices file ${file} is not valid JSON: ${(e as Error).message}` };
    }
}

export function priceOf(table: Record<string, Record<string, number>> | undefined, region: string | undefined,
                        key: string): number | undefined {
    if (!table || !region) {
        return undefined;
    }
    const v = table[region]?.[key];
    return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
