// Security-group ingress rules in one shape, whichever of the three AWS resource forms declared them.
import { T } from "./resources";

/**
 * One ingress rule. `targetRef` and `sourceSgRefs` are read only when a policy asks for them: they are ids of
 * other resources, unknown in a preview until those exist, and a check that does not need them (0.0.0.0/0 in a rule's
 * CIDRs) must not become undecidable because of them. `owner`/`targetProperty`/`sourceProperty` say where they
 * came from, so a stack policy can follow the input's propertyDependencies instead.
 */
export interface IngressRule {
    /** Where the rule sits, for messages: "ingress[2]" or "rule". */
    label: string;
    /** Inline rules belong to the security group being validated; separate rules name it here. */
    inline: boolean;
    /** The top-level input holding targetRef / sourceSgRefs (separate rules only). */
    targetProperty?: string;
    sourceProperty?: string;
    targetRef?: string;
    protocol: string;
    fromPort?: number;
    toPort?: number;
    cidrs: string[];
    prefixLists: string[];
    sourceSgRefs: string[];
    self: boolean;
    description: string;
}

function strList(v: unknown): string[] {
    if (Array.isArray(v)) {
        return v.filter((x): x is string => typeof x === "string" && x !== "");
    }
    return typeof v === "string" && v !== "" ? [v] : [];
}

function num(v: unknown): number | undefined {
    if (typeof v === "number") {
        return v;
    }
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) {
        return Number(v);
    }
    return undefined;
}

/** Ingress rules declared by a resource (empty for anything else). */
export function ingressRulesOf(type: string, props: Record<string, any>): IngressRule[] {
    if (type === T.securityGroup) {
        const ingress = Array.isArray(props.ingress) ? props.ingress : [];
        return ingress.map((r: any, i: number) => ({
            label: `ingress[${i}]`,
            inline: true,
            protocol: String(r?.protocol ?? ""),
            fromPort: num(r?.fromPort),
            toPort: num(r?.toPort),
            cidrs: [...strList(r?.cidrBlocks), ...strList(r?.ipv6CidrBlocks)],
            prefixLists: strList(r?.prefixListIds),
            sourceProperty: "ingress",
            get sourceSgRefs() {
                return strList(r?.securityGroups);
            },
            self: r?.self === true,
            description: typeof r?.description === "string" ? r.description : "",
        }));
    }
    if (type === T.sgRule) {
        if (props.type !== "ingress") {
            return [];
        }
        return [{
            label: "rule",
            inline: false,
            targetProperty: "securityGroupId",
            sourceProperty: "sourceSecurityGroupId",
            get targetRef() {
                return typeof props.securityGroupId === "string" ? props.securityGroupId : undefined;
            },
            protocol: String(props.protocol ?? ""),
            fromPort: num(props.fromPort),
            toPort: num(props.toPort),
            cidrs: [...strList(props.cidrBlocks), ...strList(props.ipv6CidrBlocks)],
            prefixLists: strList(props.prefixListIds),
            get sourceSgRefs() {
                return strList(props.sourceSecurityGroupId);
            },
            self: props.self === true,
            description: typeof props.description === "string" ? props.description : "",
        }];
    }
    if (type === T.sgIngressRule) {
        return [{
            label: "rule",
            inline: false,
            targetProperty: "securityGroupId",
            sourceProperty: "referencedSecurityGroupId",
            get targetRef() {
                return typeof props.securityGroupId === "string" ? props.securityGroupId : undefined;
            },
            protocol: String(props.ipProtocol ?? ""),
            fromPort: num(props.fromPort),
            toPort: num(props.toPort),
            cidrs: [...strList(props.cidrIpv4), ...strList(props.cidrIpv6)],
            prefixLists: strList(props.prefixListId),
            get sourceSgRefs() {
                return strList(props.referencedSecurityGroupId);
            },
            self: false,
            description: typeof props.description === "string" ? props.description : "",
        }];
    }
    return [];
}

/** 0.0.0.0/0, ::/0 and any other zero-length prefix. */
export function isOpenCidr(cidr: string): boolean {
    const m = /^(.*)\/(\d+)$/.exec(cidr.trim());
    return !!m && Number(m[2]) === 0;
}

function allPorts(protocol: string): boolean {
    const p = protocol.toLowerCase();
    return p === "-1" || p === "all";
}

function isTcp(protocol: string): boolean {
    const p = protocol.toLowerCase();
    return p === "tcp" || p === "6";
}

/** True when the rule admits TCP traffic to any port in [from, to]. */
export function coversTcpPorts(rule: IngressRule, from: number, to: number): boolean {
    if (allPorts(rule.protocol)) {
        return true;
    }
    if (!isTcp(rule.protocol)) {
        return false;
    }
    const lo = rule.fromPort ?? 0;
    const hi = rule.toPort ?? 65535;
    // AWS treats fromPort 0 / toPort 0 on a port-based protocol as nothing sensible; take it literally.
    return lo <= to && hi >= from;
}

export function describePorts(rule: IngressRule): string {
    if (allPorts(rule.protocol)) {
        return "all traffic";
    }
    const ports = rule.fromPort === rule.toPort ? `${rule.fromPort}` : `${rule.fromPort}-${rule.toPort}`;
    return `${rule.protocol} ${ports}`;
}
