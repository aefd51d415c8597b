// Offline harness: runs the pack's policies over an offline plan (target/plan/<stack>/resources.json) without the
// Pulumi CLI, building the same argument shapes @pulumi/policy's analyzer server passes to validateResource /
// validateStack, and emulating how the CLI resolves enforcement levels from a --policy-pack-config file.
import * as crypto from "crypto";
import * as fs from "fs";
import type {
    EnforcementLevel, Policies, PolicyResource, PolicyResourceOptions, ResourceValidationArgs,
    ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";

/** One element of resources.json (the contract's offline plan format). */
export interface PlanElement {
    type: string;
    name: string;
    parent?: string | null;
    inputs: Record<string, any>;
    /** Offline stand-in for the resource option `protect` (the plan may carry it). */
    protect?: boolean;
    /** The physical id other resources' inputs use to refer to this one, when the plan records it. */
    id?: string;
}

/**
 * The id the offline plan's mock cloud (dev.kilonode.plan.MockCloud) gives a resource when the plan does not record
 * it: sha256("<type>/<name>") in hex, first 17 digits behind the AWS prefix for the types below, else
 * "<name>-<first 8 digits>". References in the plan's inputs (vpcSecurityGroupIds, securityGroupId, bucket...)
 * carry these ids, so the harness needs them to tell which resource a reference names.
 */
export function offlineId(type: string, name: string): string {
    const hash = crypto.createHash("sha256").update(`${type}/${name}`, "utf8").digest("hex");
    const prefixes: Record<string, string> = {
        "aws:ec2/vpc:Vpc": "vpc-", "aws:ec2/subnet:Subnet": "subnet-", "aws:ec2/securityGroup:SecurityGroup": "sg-",
        "aws:ec2/internetGateway:InternetGateway": "igw-", "aws:ec2/natGateway:NatGateway": "nat-",
        "aws:ec2/eip:Eip": "eipalloc-", "aws:ec2/routeTable:RouteTable": "rtb-", "aws:ec2/instance:Instance": "i-",
        "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    };
    const prefix = prefixes[type];
    return prefix ? prefix + hash.slice(0, 17) : `${name}-${hash.slice(0, 8)}`;
}

/** The --policy-pack-config file: {"all": level, "<policy>": level | {enforcementLevel?, ...config}}. */
export type PackConfigFile = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, any>)>;

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    urn?: string;
}

export interface RunResult {
    violations: Violation[];
    notApplicable: { policy: string; urn?: string; reason?: string }[];
}

class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "not applicable");
    }
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicableError(reason);
}

export function loadPlan(file: string): PlanElement[] {
    const data = JSON.parse(fs.readFileSync(file, "utf8"));
    if (!Array.isArray(data)) {
        throw new Error(`${file}: expected a JSON array of resources`);
    }
    return data as PlanElement[];
}

export function loadConfigFile(file: string): PackConfigFile {
    return JSON.parse(fs.readFileSync(file, "utf8")) as PackConfigFile;
}

/** Enforcement level as the CLI resolves it: per-policy config > "all" > the policy's own > the pack's default. */
export function effectiveLevel(policy: { name: string; enforcementLevel?: EnforcementLevel }, config: PackConfigFile | undefined,
                               packDefault: EnforcementLevel = "advisory"): EnforcementLevel {
    const own = config?.[policy.name];
    if (typeof own === "string") {
        return own;
    }
    if (own && typeof own === "object" && own.enforcementLevel) {
        return own.enforcementLevel;
    }
    const all = config?.all;
    if (typeof all === "string") {
        return all;
    }
    if (all && typeof all === "object" && all.enforcementLevel) {
        return all.enforcementLevel;
    }
    return policy.enforcementLevel ?? packDefault;
}

/** The policy's config properties (without enforcementLevel), as getConfig() returns them. */
export function policyConfig(policyName: string, config: PackConfigFile | undefined): Record<string, any> {
    const own = config?.[policyName];
    if (!own || typeof own !== "object") {
        return {};
    }
    const { enforcementLevel: _ignored, ...rest } = own;
    return rest;
}

function defaultOpts(protect: boolean, parent?: string): PolicyResourceOptions {
    return {
        protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        parent,
    };
}

function isTypeFn(type: string) {
    return (resourceClass: any): boolean => resourceClass?.__pulumiType === type;
}

/** Builds PolicyResources (with URNs, parents and options) from plan elements. */
export function toPolicyResources(plan: PlanElement[], stack: string, project = "kilonode"): PolicyResource[] {
    const byName = new Map<string, PlanElement>();
    for (const e of plan) {
        if (!byName.has(e.name) || e.type.startsWith("kilonode:") || e.type === "pulumi:pulumi:Stack") {
            byName.set(e.name, e);
        }
    }
    const qualifiedType = (e: PlanElement, depth = 0): string => {
        const parent = e.parent ? byName.get(e.parent) : undefined;
        if (!parent || parent === e || parent.type === "pulumi:pulumi:Stack" || depth > 50) {
            return e.type;
        }
        return `${qualifiedType(parent, depth + 1)}$${e.type}`;
    };
    const urnOf = (e: PlanElement) => `urn:pulumi:${stack}::${project}::${qualifiedType(e)}::${e.name}`;
    const out = new Map<PlanElement, PolicyResource>();
    for (const e of plan) {
        const parentEl = e.parent ? byName.get(e.parent) : undefined;
        const props = e.inputs ?? {};
        const resource: PolicyResource & { id?: string } = {
            type: e.type,
            name: e.name,
            urn: urnOf(e),
            props,
            opts: defaultOpts(e.protect === true, parentEl ? urnOf(parentEl) : undefined),
            dependencies: [],
            propertyDependencies: {},
            isType: isTypeFn(e.type),
            asType: ((cls: any) => (isTypeFn(e.type)(cls) ? props : undefined)) as any,
        };
        if (!e.type.startsWith("pulumi:") && !e.type.startsWith("kilonode:")) {
            resource.id = e.id ?? offlineId(e.type, e.name);
        }
        out.set(e, resource);
    }
    for (const [e, r] of out) {
        const parentEl = e.parent ? byName.get(e.parent) : undefined;
        if (parentEl) {
            r.parent = out.get(parentEl);
        }
    }
    return [...out.values()];
}

/** The stack name: the root pulumi:pulumi:Stack is named kilonode-<stack>. */
export function stackNameOf(plan: PlanElement[]): string {
    const root = plan.find((e) => e.type === "pulumi:pulumi:Stack");
    return root ? root.name.replace(/^kilonode-/, "") : "offline";
}

export interface RunOptions {
    config?: PackConfigFile;
    stack?: string;
    policies: Policies;
    packEnforcementLevel?: EnforcementLevel;
}

/** Runs every enabled policy over the plan and collects the violations with their effective level. */
export async function runPack(plan: PlanElement[], options: RunOptions): Promise<RunResult> {
    const stack = options.stack ?? stackNameOf(plan);
    const resources = toPolicyResources(plan, stack);
    const awsProvider = resources.find((r) => r.type === "pulumi:providers:aws");
    const result: RunResult = { violations: [], notApplicable: [] };

    for (const p of options.policies) {
        let level = effectiveLevel(p, options.config, options.packEnforcementLevel);
        if (level === "disabled") {
            continue;
        }
        if (level === "remediate") {
            level = "mandatory";
        }
        const cfg = policyConfig(p.name, options.config);
        const getConfig = <T extends object>() => ({ ...cfg }) as T;
        const rv = p as ResourceValidationPolicy;
        const sv = p as StackValidationPolicy;
        if (rv.validateResource) {
            const validations = Array.isArray(rv.validateResource) ? rv.validateResource : [rv.validateResource];
            for (const r of resources) {
                const args: ResourceValidationArgs = {
                    type: r.type,
                    props: r.props,
                    urn: r.urn,
                    name: r.name,
                    opts: r.opts,
                    provider: awsProvider && r.type.startsWith("aws:")
                        ? { type: awsProvider.type, props: awsProvider.props, urn: awsProvider.urn, name: awsProvider.name }
                        : undefined,
                    stackTags: new Map(),
                    isType: r.isType,
                    asType: r.asType as any,
                    getConfig,
                    notApplicable: throwNotApplicable,
                };
                for (const validate of validations) {
                    try {
                        await validate(args, (message) => {
                            result.violations.push({ policy: p.name, level, message, urn: r.urn });
                        });
                    } catch (e) {
                        if (e instanceof NotApplicableError) {
                            result.notApplicable.push({ policy: p.name, urn: r.urn, reason: e.reason });
                        } else {
                            throw new Error(`policy ${p.name} threw on ${r.urn}: ${(e as Error).stack ?? e}`);
                        }
                    }
                }
            }
        }
        if (sv.validateStack) {
            const args: StackValidationArgs = {
                resources,
                stackTags: new Map(),
                getConfig,
                notApplicable: throwNotApplicable,
            };
            try {
                await sv.validateStack(args, (message, urn) => {
                    result.violations.push({ policy: p.name, level, message, urn });
                });
            } catch (e) {
                if (e instanceof NotApplicableError) {
                    result.notApplicable.push({ policy: p.name, reason: e.reason });
                } else {
                    throw new Error(`policy ${p.name} threw on the stack: ${(e as Error).stack ?? e}`);
                }
            }
        }
    }
    return result;
}

export function formatViolations(violations: Violation[]): string {
    return violations.map((v) => `[${v.level}] ${v.policy}${v.urn ? ` (${v.urn})` : ""}: ${v.message}`).join("\n");
}
