// Offline harness: runs the pack's policies over an offline plan (target/plan/<stack>/resources.json) without the
// Pulumi CLI, building the same argument shapes @pulumi/policy's analyzer server passes to validateResource /
// validateStack, and emulating how the CLI resolves enforcement levels from a --policy-pack-config file.
//
// Props go through the analyzer server's own code path (node_modules/@pulumi/policy 1.21.0 server.js): the plan's
// inputs become a protobuf Struct, deserialize.js deserializeProperties(struct, false) unpacks them and proxy.js
// unknownCheckingProxy wraps them. A preview plan (target/plan-preview/<stack>, written by PreviewModeTest) carries
// the engine's unknown sentinel where a value is not known yet; reading one throws UnknownValueError exactly as under
// `pulumi preview`, and the harness handles it where server.js does: the policy's run on that resource (or the stack
// policy's whole run) is "not checked in preview", reported apart from violations and passes.
import * as crypto from "crypto";
import * as fs from "fs";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import {
    IS_SPECIAL_PROXY, isUnknown, isUnknownValueError, SPECIAL_PROXY_TARGET, UndecidedChecks, unknownCheckingProxy,
    unknownPath,
} from "../lib/unknowns";
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
    /** The physical id other resources' inputs use to refer to this one, when the plan records it (a preview: unknown). */
    id?: string | null;
    /** Preview plans: per input, the resources ("type::name") it depends on, from the RegisterResource request. */
    propertyDependencies?: Record<string, string[]>;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: { toJavaScript(): any }, proxySecrets: boolean): Record<string, any>;
};

/** A resource's props as the analyzer server builds them: Struct -> deserializeProperties -> unknownCheckingProxy. */
export function engineProps(inputs: Record<string, any>): Record<string, any> {
    return unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(inputs ?? {}), false));
}

/** A read of an unknown value, seen by the harness's observer (see observed()). */
export interface UnknownRead {
    urn: string;
    name: string;
    type: string;
    property: string;
    message: string;
}

/** Where observed() records unknown reads during one policy run. */
let unknownReads: UnknownRead[] | undefined;

/**
 * Wraps the engine's proxy in a transparent observer that records which resource an UnknownValueError came from (the
 * error itself only knows the path) and rethrows it unchanged. Values, identities per read and the V8 proxy invariant
 * are kept as the engine's proxy has them; the engine's special keys pass straight through.
 */
function observed<T>(value: T, r: { urn: string; name: string; type: string }): T {
    if (!(value instanceof Object)) {
        return value;
    }
    return new Proxy(value as any, {
        get(target, key) {
            if (key === IS_SPECIAL_PROXY || key === SPECIAL_PROXY_TARGET) {
                return target[key];
            }
            let v: any;
            try {
                v = target[key];
            } catch (e) {
                if (isUnknownValueError(e)) {
                    unknownReads?.push({ urn: r.urn, name: r.name, type: r.type, property: unknownPath(e), message: e.message });
                }
                throw e;
            }
            const desc = Object.getOwnPropertyDescriptor(target, key);
            if (desc && "value" in desc && desc.configurable === false && desc.writable === false) {
                return v;
            }
            return observed(v, r);
        },
    });
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

/** A check the engine could not run in preview because it read an unknown value. */
export interface NotChecked {
    policy: string;
    /** The resource the unknown belongs to (for a stack policy: the one whose check read it). */
    urn?: string;
    name?: string;
    type?: string;
    /** The unknown property path, ".userData", ".launchTemplate.id". */
    property: string;
    /** What `pulumi preview` prints for it (an advisory diagnostic, whatever the policy's level). */
    engineMessage: string;
}

export interface RunResult {
    violations: Violation[];
    notApplicable: { policy: string; urn?: string; reason?: string }[];
    /** Checks not decided because of unknowns (preview plans only). */
    notChecked: NotChecked[];
    /** Policy runs that completed without a violation: per resource for resource policies, once for stack policies. */
    passes: { policy: string; urn?: string }[];
    /**
     * Policy runs that read an unknown, caught the error themselves and still came to a verdict (pass or violation)
     * without throwing: a decision on a value nobody knows yet. Always a policy bug; tests assert there are none.
     */
    decidedOnUnknown: { policy: string; urn?: string; reads: UnknownRead[] }[];
}

export function formatNotChecked(n: NotChecked): string {
    return `not checked in preview: ${n.policy} on ${n.name ?? "the stack"}${n.type ? ` (${n.type})` : ""}: ${n.property} unknown`;
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
        const urn = urnOf(e);
        const props = observed(engineProps(e.inputs ?? {}), { urn, name: e.name, type: e.type });
        const resource: PolicyResource & { id?: string } = {
            type: e.type,
            name: e.name,
            urn,
            props,
            opts: defaultOpts(e.protect === true, parentEl ? urnOf(parentEl) : undefined),
            dependencies: [],
            propertyDependencies: {},
            isType: isTypeFn(e.type),
            asType: ((cls: any) => (isTypeFn(e.type)(cls) ? props : undefined)) as any,
        };
        if (!e.type.startsWith("pulumi:") && !e.type.startsWith("kilonode:")) {
            const id = e.id ?? offlineId(e.type, e.name);
            // Nothing exists yet in a preview: no id (the engine passes none to policies anyway).
            if (!isUnknown(id)) {
                resource.id = id;
            }
        }
        out.set(e, resource);
    }
    const byKey = new Map<string, PolicyResource>();
    for (const [e, r] of out) {
        byKey.set(`${e.type}::${e.name}`, r);
    }
    for (const [e, r] of out) {
        const parentEl = e.parent ? byName.get(e.parent) : undefined;
        if (parentEl) {
            r.parent = out.get(parentEl);
        }
        // As server.js fills them for stack policies: dependencies and propertyDependencies as resource objects.
        const deps = new Set<PolicyResource>();
        for (const [property, keys] of Object.entries(e.propertyDependencies ?? {})) {
            const rs = keys.map((k) => byKey.get(k)).filter((x): x is PolicyResource => x !== undefined);
            r.propertyDependencies[property] = rs;
            rs.forEach((d) => deps.add(d));
        }
        r.dependencies = [...deps];
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
    const result: RunResult = { violations: [], notApplicable: [], notChecked: [], passes: [], decidedOnUnknown: [] };
    const packVersion = "0.1.0";
    const engineMessage = (policy: string, e: Error) =>
        `can't run policy '${policy}' from policy pack 'kilonode@v${packVersion}' during preview: ${e.message}`;

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
                let violated = false;
                let undecided = false;
                for (const validate of validations) {
                    const reads: UnknownRead[] = [];
                    unknownReads = reads;
                    let threwUnknown = false;
                    try {
                        await validate(args, (message) => {
                            violated = true;
                            result.violations.push({ policy: p.name, level, message, urn: r.urn });
                        });
                    } catch (e) {
                        if (isUnknownValueError(e)) {
                            threwUnknown = undecided = true;
                            result.notChecked.push({
                                policy: p.name, urn: r.urn, name: r.name, type: r.type, property: `.${unknownPath(e)}`,
                                engineMessage: engineMessage(p.name, e),
                            });
                        } else if (e instanceof NotApplicableError) {
                            result.notApplicable.push({ policy: p.name, urn: r.urn, reason: e.reason });
                        } else {
                            throw new Error(`policy ${p.name} threw on ${r.urn}: ${(e as Error).stack ?? e}`);
                        }
                    } finally {
                        unknownReads = undefined;
                    }
                    if (!threwUnknown && reads.length > 0) {
                        result.decidedOnUnknown.push({ policy: p.name, urn: r.urn, reads });
                    }
                }
                if (!violated && !undecided) {
                    result.passes.push({ policy: p.name, urn: r.urn });
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
            const reads: UnknownRead[] = [];
            unknownReads = reads;
            let violated = false;
            let threwUnknown = false;
            try {
                await sv.validateStack(args, (message, urn) => {
                    violated = true;
                    result.violations.push({ policy: p.name, level, message, urn });
                });
            } catch (e) {
                if (isUnknownValueError(e)) {
                    threwUnknown = true;
                    result.notChecked.push(...stackNotChecked(p.name, e, reads, engineMessage(p.name, e)));
                } else if (e instanceof NotApplicableError) {
                    result.notApplicable.push({ policy: p.name, reason: e.reason });
                } else {
                    throw new Error(`policy ${p.name} threw on the stack: ${(e as Error).stack ?? e}`);
                }
            } finally {
                unknownReads = undefined;
            }
            if (!threwUnknown && reads.length > 0) {
                result.decidedOnUnknown.push({ policy: p.name, reads });
            }
            if (!violated && !threwUnknown) {
                result.passes.push({ policy: p.name });
            }
        }
    }
    return result;
}

/**
 * The not-checked entries of a stack policy that threw an UnknownValueError: every unknown it read (resource and
 * path, as the observer saw them), one per resource and property.
 */
function stackNotChecked(policy: string, e: Error & { props: PropertyKey[] }, reads: UnknownRead[], engineMessage: string): NotChecked[] {
    const seen = new Set<string>();
    const out: NotChecked[] = [];
    for (const r of reads) {
        const key = `${r.urn} ${r.property}`;
        if (!seen.has(key)) {
            seen.add(key);
            out.push({ policy, urn: r.urn, name: r.name, type: r.type, property: `.${r.property}`, engineMessage });
        }
    }
    if (out.length === 0) {
        // Thrown by the policy itself (UndecidedChecks without a read we saw): keep what the error says.
        const checks = e instanceof UndecidedChecks ? e.checks : [];
        for (const c of checks) {
            out.push({ policy, urn: c.urn, name: c.name, property: c.cause, engineMessage });
        }
        if (out.length === 0) {
            out.push({ policy, property: `.${e.props.map(String).join(".")}`, engineMessage });
        }
    }
    return out;
}

export function formatViolations(violations: Violation[]): string {
    return violations.map((v) => `[${v.level}] ${v.policy}${v.urn ? ` (${v.urn})` : ""}: ${v.message}`).join("\n");
}
