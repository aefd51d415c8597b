// Resource helpers shared by the policies: type tokens, tags, roles, reference resolution.
import { isUnknown, peek } from "./unknowns";
import { INSTANCE, LAUNCH_TEMPLATE, MachineUserData, machineUserData } from "./userdata";

export const T = {
    stack: "pulumi:pulumi:Stack",
    awsProvider: "pulumi:providers:aws",
    instance: INSTANCE,
    launchTemplate: LAUNCH_TEMPLATE,
    asg: "aws:autoscaling/group:Group",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    sgIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    bucket: "aws:s3/bucket:Bucket",
    bucketVersioningV2: "aws:s3/bucketVersioningV2:BucketVersioningV2",
    bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    loadBalancerAlb: "aws:alb/loadBalancer:LoadBalancer",
    natGateway: "aws:ec2/natGateway:NatGateway",
    subnet: "aws:ec2/subnet:Subnet",
} as const;

/** The minimal resource shape shared by @pulumi/policy's PolicyResource and the offline harness. */
export interface Res {
    type: string;
    name: string;
    urn: string;
    props: Record<string, any>;
    opts?: { protect?: boolean; parent?: string };
    /** Physical id, when known: only the offline harness has one (from the plan); the Pulumi engine passes none. */
    id?: string;
    /** Stack policies: per input, the resources its value was computed from (the engine fills it). */
    propertyDependencies?: Record<string, Res[]>;
}

/** The raw value at a path below obj (see unknowns.peek): stops at, and returns, the first unknown on the way. */
export function peekPath(obj: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = obj;
    for (const key of path) {
        if (cur === undefined || cur === null || isUnknown(cur)) {
            return cur;
        }
        cur = peek(cur, key);
    }
    return cur;
}

/** True when the raw value is unknown or a list with an unknown element. */
export function refIsUnknown(raw: unknown): boolean {
    return isUnknown(raw) || (Array.isArray(raw) && raw.some(isUnknown));
}

export const ROLE_TAG = "kilonode:role";
export const REQUIRED_TAGS = ["Environment", "Owner", "CostCenter"] as const;

/**
 * Tags of a resource as a plain map. Handles the `tags` map of most AWS resources and the
 * `tags: [{key, value, propagateAtLaunch}]` list of aws:autoscaling/group:Group.
 */
export function tagsOf(props: Record<string, any>): Record<string, string> | undefined {
    const tags = props?.tags;
    if (tags === undefined || tags === null) {
        return undefined;
    }
    if (Array.isArray(tags)) {
        const out: Record<string, string> = {};
        for (const t of tags) {
            if (t && typeof t.key === "string") {
                out[t.key] = t.value === undefined || t.value === null ? "" : String(t.value);
            }
        }
        return out;
    }
    if (typeof tags === "object") {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(tags)) {
            out[k] = v === undefined || v === null ? "" : String(v);
        }
        return out;
    }
    return undefined;
}

/** kilonode:role of a machine-ish resource (own tags, then a launch template's tagSpecifications). */
export function roleOf(r: { type: string; props: Record<string, any> }): string | undefined {
    const own = tagsOf(r.props)?.[ROLE_TAG];
    if (own) {
        return own;
    }
    if (r.type === T.launchTemplate && Array.isArray(r.props?.tagSpecifications)) {
        for (const spec of r.props.tagSpecifications) {
            const v = spec?.tags?.[ROLE_TAG];
            if (typeof v === "string" && v) {
                return v;
            }
        }
    }
    return undefined;
}

export function toNumber(v: unknown): number | undefined {
    if (typeof v === "number" && Number.isFinite(v)) {
        return v;
    }
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) {
        return Number(v);
    }
    return undefined;
}

function escapeRe(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Resolves a reference (an id, name, ARN or the offline plan's rendering of another resource's output) to a
 * resource of the stack. Exact matches on logical name, URN, `name`, `bucket`, `id` or `arn` come first; then a
 * reference that mentions a logical name as a whole token (e.g. "${master-sg.id}") matches, the longest name wins.
 */
export class Resolver {
    constructor(private readonly resources: Res[]) {}

    resolve(ref: unknown, types?: readonly string[]): Res | undefined {
        if (typeof ref !== "string" || ref === "") {
            return undefined;
        }
        const pool = types ? this.resources.filter((r) => types.includes(r.type)) : this.resources;
        // Candidates' own name/bucket/id/arn may be unknown in a preview: those cannot match a known reference now,
        // but they might once they exist, so they make a miss undecidable (below) rather than a miss.
        const unknownKeys: [Res, string][] = [];
        for (const r of pool) {
            const keys: unknown[] = [r.name, r.urn, r.id];
            for (const k of ["name", "bucket", "id", "arn"]) {
                const v = peek(r.props, k);
                if (isUnknown(v)) {
                    unknownKeys.push([r, k]);
                } else {
                    keys.push(v);
                }
            }
            if (keys.some((k) => typeof k === "string" && k === ref)) {
                return r;
            }
        }
        let best: Res | undefined;
        for (const r of pool) {
            if (!r.name || (best && best.name.length >= r.name.length)) {
                continue;
            }
            const re = new RegExp(`(^|[^A-Za-z0-9_-])${escapeRe(r.name)}($|[^A-Za-z0-9_-])`);
            if (re.test(ref)) {
                best = r;
            }
        }
        if (!best && unknownKeys.length > 0) {
            // Read the first unknown key through the engine's proxy: it throws the engine's UnknownValueError.
            const [r, k] = unknownKeys[0];
            void r.props[k];
        }
        return best;
    }
}

/** Everything the stack-level policies need, computed once per stack. */
export class StackView {
    readonly resolver: Resolver;
    private readonly udCache = new Map<Res, MachineUserData>();

    constructor(readonly resources: Res[]) {
        this.resolver = new Resolver(resources);
    }

    ofType(...types: string[]): Res[] {
        return this.resources.filter((r) => types.includes(r.type));
    }

    userData(r: Res): MachineUserData {
        let ud = this.udCache.get(r);
        if (!ud) {
            ud = machineUserData(r.type, r.props);
            this.udCache.set(r, ud);
        }
        return ud;
    }

    /** Machines (Instances and LaunchTemplates) with a kilonode:role, including templates used by role-tagged ASGs. */
    machinesWithRole(role: string): Res[] {
        const out = this.ofType(T.instance, T.launchTemplate).filter((r) => roleOf(r) === role);
        for (const asg of this.ofType(T.asg).filter((a) => roleOf(a) === role)) {
            const lt = this.launchTemplateOf(asg);
            if (lt && !out.includes(lt)) {
                out.push(lt);
            }
        }
        return out;
    }

    /** Auto Scaling groups tagged kilonode:role=<role>. */
    asgsWithRole(role: string): Res[] {
        return this.ofType(T.asg).filter((a) => roleOf(a) === role);
    }

    /** Worker count as the contract defines it: sum of desiredCapacity (minSize when unset) of worker ASGs. */
    workerCounts(): { desired: number; max: number; groups: { name: string; desired: number; max: number }[] } {
        const groups = this.asgsWithRole("worker").map((a) => {
            const desired = toNumber(a.props.desiredCapacity) ?? toNumber(a.props.minSize) ?? 0;
            const max = toNumber(a.props.maxSize) ?? desired;
            return { name: a.name, desired, max };
        });
        return {
            desired: groups.reduce((s, g) => s + g.desired, 0),
            max: groups.reduce((s, g) => s + g.max, 0),
            groups,
        };
    }

    /**
     * The resources an input of `owner` refers to (ids, names or ARNs of other resources of `types`): a reference or
     * a list of them, at `path` below the top-level input `path[0]`. A reference that is unknown (the referenced
     * resource is created by the same update, so its id does not exist yet) stands for the resources of `types` the
     * input depends on (propertyDependencies); without such a dependency the unknown propagates (the engine's
     * UnknownValueError). References that match nothing are left out.
     */
    refsOf(owner: Res, path: readonly PropertyKey[], types: readonly string[]): Res[] {
        const raw = peekPath(owner.props, path);
        if (refIsUnknown(raw)) {
            const deps = (owner.propertyDependencies?.[String(path[0])] ?? []).filter((d) => types.includes(d.type));
            if (deps.length > 0) {
                const known = Array.isArray(raw) ? raw.filter((x) => !isUnknown(x)) : [];
                return [...new Set([...deps, ...known.map((x) => this.resolver.resolve(x, types)).filter((x): x is Res => !!x)])];
            }
            // Read it through the engine's proxy: throws the engine's UnknownValueError for this path.
            let cur: any = owner.props;
            for (const key of path) {
                cur = cur?.[key];
                if (Array.isArray(cur)) {
                    [...cur];
                }
            }
        }
        const refs = Array.isArray(raw) ? raw : [raw];
        return refs.map((x) => this.resolver.resolve(x, types)).filter((x): x is Res => !!x);
    }

    /** The launch template an ASG launches from (launchTemplate, or mixedInstancesPolicy's specification). */
    launchTemplateOf(asg: Res): Res | undefined {
        const specPath = peek(asg.props, "launchTemplate") !== undefined && peek(asg.props, "launchTemplate") !== null
            ? ["launchTemplate"] : ["mixedInstancesPolicy", "launchTemplate", "launchTemplateSpecification"];
        for (const key of ["id", "launchTemplateId", "name", "launchTemplateName"]) {
            const raw = peekPath(asg.props, [...specPath, key]);
            if (raw === undefined || raw === null) {
                continue;
            }
            const [lt] = this.refsOf(asg, [...specPath, key], [T.launchTemplate]);
            if (lt) {
                return lt;
            }
        }
        // Fall back to the only launch template with the same role.
        const role = roleOf(asg);
        const sameRole = this.ofType(T.launchTemplate).filter((lt) => role && roleOf(lt) === role);
        return sameRole.length === 1 ? sameRole[0] : undefined;
    }

    /** The instance type an ASG launches (mixed-instances override first, then its launch template). */
    instanceTypeOfAsg(asg: Res): string | undefined {
        const overrides = asg.props.mixedInstancesPolicy?.launchTemplate?.overrides;
        if (Array.isArray(overrides) && overrides.length > 0 && typeof overrides[0]?.instanceType === "string") {
            return overrides[0].instanceType;
        }
        const lt = this.launchTemplateOf(asg);
        return typeof lt?.props.instanceType === "string" ? lt.props.instanceType : undefined;
    }

    /**
     * The AWS region of the stack: the aws provider's `region`, else KILONODE_REGION from any node's
     * /etc/kilonode/kilonode.env, else a subnet's availabilityZone without its letter.
     */
    region(providerRegion?: string): string | undefined {
        if (providerRegion) {
            return providerRegion;
        }
        for (const p of this.ofType(T.awsProvider)) {
            if (typeof p.props.region === "string" && p.props.region) {
                return p.props.region;
            }
        }
        for (const m of this.ofType(T.instance, T.launchTemplate)) {
            const r = this.userData(m).env.KILONODE_REGION;
            if (r) {
                return r;
            }
        }
        for (const s of this.ofType(T.subnet)) {
            const az = s.props.availabilityZone;
            if (typeof az === "string" && /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(az)) {
                return az.slice(0, -1);
            }
        }
        return undefined;
    }
}
