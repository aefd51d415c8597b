// Cost policies: tagging for cost allocation, worker caps, an hourly budget, pinned images in production.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { productionProperty, withDefaults } from "./lib/config";
import { loadPrices, priceOf, resolvePricesFile, DEFAULT_PRICES_FILE } from "./lib/pricing";
import { REQUIRED_TAGS, Res, StackView, T, tagsOf, toNumber } from "./lib/resources";
import { machineUserData, TF_INSTANCES_PATH } from "./lib/userdata";
import { Deferred } from "./lib/unknowns";

/**
 * AWS resource types whose inputs accept `tags` (pulumi-aws). A resource of another aws: type that
 * nevertheless declares `tags` is checked too.
 */
export const TAGGABLE_TYPES = new Set<string>([
    "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/networkInterface:NetworkInterface", "aws:ec2/keyPair:KeyPair", "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/placementGroup:PlacementGroup", "aws:ec2/networkAcl:NetworkAcl", "aws:ec2/dhcpOptions:DhcpOptions",
    "aws:ec2/flowLog:FlowLog", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ebs/volume:Volume",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener",
    "aws:alb/loadBalancer:LoadBalancer", "aws:alb/targetGroup:TargetGroup", "aws:alb/listener:Listener",
    "aws:autoscaling/group:Group",
    "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile", "aws:iam/policy:Policy",
    "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket",
    "aws:ssm/parameter:Parameter", "aws:kms/key:Key", "aws:secretsmanager/secret:Secret",
    "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:sns/topic:Topic", "aws:sqs/queue:Queue", "aws:route53/zone:Zone", "aws:ecr/repository:Repository",
    "aws:lambda/function:Function",
]);

export function isTaggable(type: string, props: Record<string, any>): boolean {
    if (!type.startsWith("aws:")) {
        return false;
    }
    return TAGGABLE_TYPES.has(type) || (props?.tags !== undefined && props?.tags !== null);
}

export const requiredTags: ResourceValidationPolicy = {
    name: "kilonode-required-tags",
    description:
        "Every taggable AWS resource carries the tags Environment, Owner and CostCenter (ASGs in their `tags` " +
        "list; the aws provider's defaultTags count). A 1,000-node stack costs tens of dollars an hour (report " +
        "000 stopped nodes by hand to save money); untagged resources are the ones nobody finds and deletes.",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: (args, reportViolation) => {
        if (!isTaggable(args.type, args.props)) {
            return;
        }
        const tags: Record<string, string> = {
            ...(tagsOf({ tags: args.provider?.props?.defaultTags?.tags }) ?? {}),
            ...(tagsOf(args.props) ?? {}),
        };
        const missing = REQUIRED_TAGS.filter((k) => !tags[k] || tags[k].trim() === "");
        if (missing.length > 0) {
            reportViolation(
                `${args.type} ${args.name} is missing tag(s) ${missing.join(", ")}; expected ` +
                `${REQUIRED_TAGS.join(", ")} on every taggable resource (found: ${Object.keys(tags).join(", ") || "no tags"}).`,
            );
        }
    },
};

const maxWorkersSchema = {
    properties: {
        maxWorkers: {
            type: "integer" as const,
            minimum: 0,
            default: 2000,
            description: "Largest number of workers (sum of worker ASGs' desiredCapacity, and of their maxSize) allowed.",
        },
    },
};

export const maxWorkers: StackValidationPolicy = {
    name: "kilonode-max-workers",
    description:
        "The worker count (sum of desiredCapacity of ASGs tagged kilonode:role=worker) and its cap (sum of their " +
        "maxSize) stay within the pack config's maxWorkers. The control-plane tuning is only known to hold up to " +
        "the contract's top tier, and 1,000 m3.medium workers alone cost tens of dollars an hour (report 000).",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: maxWorkersSchema,
    validateStack: (args, reportViolation) => {
        const cfg = withDefaults<{ maxWorkers: number }>(args, maxWorkersSchema);
        const view = new StackView(args.resources as any as Res[]);
        const w = view.workerCounts();
        const detail = w.groups.map((g) => `${g.name}: desired ${g.desired}, max ${g.max}`).join("; ");
        if (w.desired > cfg.maxWorkers) {
            reportViolation(`Expected at most ${cfg.maxWorkers} workers (config maxWorkers), found ${w.desired} desired (${detail}).`);
        }
        if (w.max > cfg.maxWorkers) {
            reportViolation(`Expected worker ASG maxSize total <= ${cfg.maxWorkers} (config maxWorkers), found ${w.max} (${detail}).`);
        }
    },
};

const costSchema = {
    properties: {
        maxHourlyCostUsd: {
            type: "number" as const,
            minimum: 0,
            default: 100,
            description: "Budget for the estimated on-demand hourly cost (instances, ASGs, NLB/ALB, NAT gateways) in USD.",
        },
        pricesFile: {
            type: "string" as const,
            default: DEFAULT_PRICES_FILE,
            description: "On-demand prices JSON, relative to the policy pack directory (or absolute).",
        },
        region: {
            type: "string" as const,
            description: "AWS region to price in; default: the aws provider's region, else KILONODE_REGION from user-data.",
        },
    },
};

export interface CostLine {
    what: string;
    count: number;
    unit?: number;
}

/** Estimates the stack's hourly on-demand cost. Lines without a unit price are unknown (not counted as 0). */
export function estimateHourlyCost(view: StackView, prices: { instances?: any; other?: any }, region: string | undefined,
                                   deferred?: Deferred):
    { total: number; lines: CostLine[]; unknown: CostLine[] } {
    const lines: CostLine[] = [];
    const add = (what: string, count: number, unit: number | undefined) => {
        if (count > 0) {
            lines.push({ what, count, unit });
        }
    };
    // A line that reads an unknown (preview) is left out and undecided; the known part is still a lower bound.
    const each = (r: Res, fn: () => void) => (deferred ? deferred.check(r, fn) : fn());
    for (const i of view.ofType(T.instance)) {
        each(i, () => {
            const type = typeof i.props.instanceType === "string" ? i.props.instanceType : undefined;
            add(`Instance ${i.name} (${type ?? "unknown type"})`, 1, type ? priceOf(prices.instances, region, type) : undefined);
        });
    }
    for (const a of view.ofType(T.asg)) {
        each(a, () => {
            const type = view.instanceTypeOfAsg(a);
            // Paced scale-out: desiredCapacity is only the first step; the group grows to maxSize.
            const n = toNumber(a.props.maxSize) ?? toNumber(a.props.desiredCapacity) ?? toNumber(a.props.minSize) ?? 0;
            add(`ASG ${a.name} (${type ?? "unknown type"})`, n, type ? priceOf(prices.instances, region, type) : undefined);
        });
    }
    for (const lb of view.ofType(T.loadBalancer, T.loadBalancerAlb)) {
        each(lb, () => {
            const kind = lb.props.loadBalancerType ?? "application";
            const key = kind === "network" ? "nlb" : kind === "gateway" ? "gwlb" : "alb";
            add(`${kind} load balancer ${lb.name} (${key})`, 1, priceOf(prices.other, region, key));
        });
    }
    for (const n of view.ofType(T.natGateway)) {
        add(`NAT gateway ${n.name} (natGateway)`, 1, priceOf(prices.other, region, "natGateway"));
    }
    const known = lines.filter((l) => l.unit !== undefined);
    return {
        total: known.reduce((s, l) => s + l.count * (l.unit as number), 0),
        lines,
        unknown: lines.filter((l) => l.unit === undefined),
    };
}

export const maxHourlyCost: StackValidationPolicy = {
    name: "kilonode-max-hourly-cost",
    description:
        "The estimated on-demand hourly cost (Instances, ASG desiredCapacity x launch-template instance type, " +
        "NLB/ALB, NAT gateways; prices from src/main/resources/pricing/on-demand.json) stays within the pack " +
        "config's maxHourlyCostUsd; a resource without a known price is reported, never counted as $0. Report 000 " +
        "ran 1,000 m3.medium + 2 m3.xlarge and advised starting the workers last to limit the bill.",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: costSchema,
    validateStack: (args, reportViolation) => {
        const cfg = withDefaults<{ maxHourlyCostUsd: number; pricesFile: string; region?: string }>(args, costSchema);
        const view = new StackView(args.resources as any as Res[]);
        const file = resolvePricesFile(cfg.pricesFile);
        const { prices, problem } = loadPrices(file);
        if (!prices) {
            reportViolation(`Cannot estimate the hourly cost: ${problem}.`);
            return;
        }
        const region = view.region(cfg.region);
        const deferred = new Deferred();
        const est = estimateHourlyCost(view, prices, region, deferred);
        const fmt = (x: number) => `$${x.toFixed(2)}`;
        if (est.unknown.length > 0) {
            reportViolation(
                `Cost estimate incomplete: no on-demand price in ${file} for region ${region ?? "(unknown region)"} ` +
                `for ${est.unknown.map((l) => `${l.what} x${l.count}`).join(", ")}. These are not counted; the known ` +
                `part is ${fmt(est.total)}/h. Add the prices (the Java side owns the file).`,
            );
        }
        if (est.total > cfg.maxHourlyCostUsd) {
            const top = [...est.lines].filter((l) => l.unit !== undefined)
                .sort((a, b) => b.count * (b.unit as number) - a.count * (a.unit as number)).slice(0, 5)
                .map((l) => `${l.what} x${l.count} @ ${fmt(l.unit as number)} = ${fmt(l.count * (l.unit as number))}`);
            reportViolation(
                `Estimated on-demand cost ${fmt(est.total)}/h in ${region} exceeds maxHourlyCostUsd ${fmt(cfg.maxHourlyCostUsd)} ` +
                `(largest items: ${top.join("; ")}).`,
            );
        }
        deferred.finish();
    },
};

// --- latest image tags ----------------------------------------------------------------------------------------

const WORKLOAD_KINDS = new Set(["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod"]);

/** "latest" and release-branch aliases of it such as Tungsten Fabric's "R2011-latest". */
export function isFloatingTag(tag: string): boolean {
    return /(^|[-_.])latest$/i.test(tag.trim());
}

/** Images that are unpinned: tag "latest" (or "<branch>-latest"), or no tag and no digest (which means latest). */
export function unpinnedImage(image: string): string | undefined {
    if (image.includes("@")) {
        return undefined;
    }
    const slash = image.lastIndexOf("/");
    const colon = image.lastIndexOf(":");
    if (colon <= slash) {
        return "no tag (pulls latest)";
    }
    const tag = image.slice(colon + 1);
    return isFloatingTag(tag) ? `tag ${tag}` : undefined;
}

function podSpecOf(kind: string | undefined, obj: any): any {
    if (!obj || typeof obj !== "object") {
        return undefined;
    }
    if (kind === "Pod") {
        return obj.spec;
    }
    if (kind === "CronJob") {
        return obj.spec?.jobTemplate?.spec?.template?.spec;
    }
    return obj.spec?.template?.spec;
}

/** Unpinned images of one Kubernetes object. */
export function unpinnedImagesOf(kind: string | undefined, obj: any): string[] {
    const spec = podSpecOf(kind, obj);
    const out: string[] = [];
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
        if (typeof c?.image === "string") {
            const why = unpinnedImage(c.image);
            if (why) {
                out.push(`container ${c.name ?? "?"} image ${c.image} (${why})`);
            }
        }
    }
    return out;
}

function kindFromType(type: string): string | undefined {
    const m = /^kubernetes:[^:]+:([A-Za-z]+)$/.exec(type);
    return m ? m[1] : undefined;
}

const latestSchema = { properties: { production: productionProperty } };

export const noLatestImages: ResourceValidationPolicy = {
    name: "kilonode-no-latest-images",
    description:
        "In production (pack config production=true) no container image is `latest` (or a `<branch>-latest` alias " +
        "such as R2011-latest) or untagged: Kubernetes " +
        "Deployment/DaemonSet/... containers, manifests shipped in user-data, and the Tungsten Fabric " +
        "CONTRAIL_VERSION / CONTRAIL_CONTAINER_TAG in the tf-controller's /etc/kilonode/tf/instances.yaml. " +
        "Report 000 deployed CONTRAIL_VERSION: latest from the nightly registry; 1,000 vRouters pulling whatever " +
        "'latest' is that hour do not all run the same code.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: latestSchema,
    validateResource: (args, reportViolation) => {
        const cfg = withDefaults<{ production: boolean }>(args, latestSchema);
        if (!cfg.production) {
            return;
        }
        const findings: string[] = [];
        if (args.type.startsWith("kubernetes:")) {
            const kind = kindFromType(args.type);
            if (kind && WORKLOAD_KINDS.has(kind)) {
                findings.push(...unpinnedImagesOf(kind, args.props));
            }
            // yaml ConfigFile / ConfigGroup with inline documents or objects.
            const docs: any[] = [];
            for (const y of [args.props.yaml].flat()) {
                if (typeof y === "string") {
                    try {
                        docs.push(...yaml.loadAll(y));
                    } catch {
                        findings.push("inline YAML that does not parse");
                    }
                }
            }
            docs.push(...(Array.isArray(args.props.objs) ? args.props.objs : []));
            for (const d of docs) {
                if (d && WORKLOAD_KINDS.has(d.kind)) {
                    findings.push(...unpinnedImagesOf(d.kind, d).map((f) => `${d.kind} ${d.metadata?.name}: ${f}`));
                }
            }
        } else if (args.type === T.instance || args.type === T.launchTemplate) {
            const ud = machineUserData(args.type, args.props);
            for (const wf of ud.cloudConfig?.writeFiles ?? []) {
                if (!/\.ya?ml$/.test(wf.path)) {
                    continue;
                }
                let docs: any[];
                try {
                    docs = yaml.loadAll(wf.content);
                } catch {
                    continue;
                }
                if (wf.path === TF_INSTANCES_PATH) {
                    const cc = docs.find((d) => d?.contrail_configuration)?.contrail_configuration;
                    const version = cc?.CONTRAIL_VERSION;
                    if (version === undefined || version === null || String(version).trim() === "") {
                        findings.push(`${wf.path}: contrail_configuration.CONTRAIL_VERSION is not set (the deployer defaults to latest)`);
                    } else if (isFloatingTag(String(version))) {
                        findings.push(`${wf.path}: contrail_configuration.CONTRAIL_VERSION is ${version}`);
                    }
                    const tag = cc?.CONTRAIL_CONTAINER_TAG;
                    if (tag !== undefined && tag !== null && isFloatingTag(String(tag))) {
                        findings.push(`${wf.path}: contrail_configuration.CONTRAIL_CONTAINER_TAG is ${tag}`);
                    }
                    continue;
                }
                for (const d of docs) {
                    if (d && WORKLOAD_KINDS.has(d.kind)) {
                        findings.push(...unpinnedImagesOf(d.kind, d).map((f) => `${wf.path} ${d.kind} ${d.metadata?.name}: ${f}`));
                    }
                }
            }
        }
        if (findings.length > 0) {
            reportViolation(
                `${args.type} ${args.name}: ${findings.join("; ")}. Expected pinned versions (a tag other than latest, ` +
                "or a digest) in production.",
            );
        }
    },
};

export const costPolicies = [requiredTags, maxWorkers, maxHourlyCost, noLatestImages];
