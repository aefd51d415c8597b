import type { PolicyConfigSchema } from "@pulumi/policy";

/** `production` flag shared by the policies whose behaviour depends on it. */
export const productionProperty = {
    type: "boolean" as const,
    default: false,
    description: "True for production stacks: turns on the production-only checks of this policy.",
};

/**
 * Returns the policy's config with the schema defaults filled in. The Pulumi CLI applies the defaults
 * itself; the offline harness and older CLIs may not, so every policy reads its config through this.
 */
export function withDefaults<C extends object>(
    args: { getConfig<T extends object>(): T },
    schema: PolicyConfigSchema | undefined,
): C {
    const given = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, def] of Object.entries(schema?.properties ?? {})) {
        if (typeof def === "object" && def !== null && "default" in def) {
            out[k] = def.default;
        }
    }
    for (const [k, v] of Object.entries(given)) {
        if (v !== undefined && v !== null) {
            out[k] = v;
        }
    }
    return out as C;
}
