// Security policies: network exposure, instance metadata, disk encryption, secrets in user-data.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { peekPath, Res, StackView, T, roleOf } from "./lib/resources";
import { Deferred, isUnknown, peek } from "./lib/unknowns";
import { coversTcpPorts, describePorts, ingressRulesOf, IngressRule, isOpenCidr } from "./lib/sg";
import { decodeUserData, parseCloudConfig, SECRET_PLACEHOLDER } from "./lib/userdata";

export const PUBLIC_LISTENER_PREFIX = "public-listener:";

export const noPublicIngress: ResourceValidationPolicy = {
    name: "kilonode-no-public-ingress",
    description:
        "No security-group ingress from 0.0.0.0/0 or ::/0. 1,000 nodes built from one image are a large attack " +
        "surface, and report 000 had to hand SSH keys around to reach them; nodes are reached through SSM and the " +
        "API load balancer instead. The only exception is a rule whose description starts with " +
        `"${PUBLIC_LISTENER_PREFIX}" (a load balancer listener the stack config opened on purpose).`,
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: (args, reportViolation) => {
        for (const rule of ingressRulesOf(args.type, args.props)) {
            const open = rule.cidrs.filter(isOpenCidr);
            if (open.length === 0) {
                continue;
            }
            if (rule.description.startsWith(PUBLIC_LISTENER_PREFIX)) {
                continue;
            }
            reportViolation(
                `${args.type} ${args.name} ${rule.label} allows ${describePorts(rule)} from ${open.join(", ")}` +
                (rule.description ? ` (description "${rule.description}")` : "") +
                `. Expected no ingress from anywhere, unless the rule is a load-balancer listener opened on purpose ` +
                `and its description starts with "${PUBLIC_LISTENER_PREFIX}".`,
            );
        }
    },
};

export const ETCD_PORT_RANGES: [number, number, string][] = [
    [2379, 2380, "etcd client/peer 2379-2380"],
    [2382, 2383, "events etcd client/peer 2382-2383"],
];

/** Inputs of a machine (Instance, LaunchTemplate) that attach security groups to it. */
const MACHINE_SG_INPUTS: PropertyKey[][] = [["vpcSecurityGroupIds"], ["securityGroups"], ["securityGroupNames"]];

/** Security groups attached to a machine (Instance vpcSecurityGroupIds, LaunchTemplate SG ids, its ENIs' groups). */
function sgsOfMachine(view: StackView, m: Res): { sgs: Res[]; unresolved: number } {
    const sgs: Res[] = [];
    let unresolved = 0;
    const paths = [...MACHINE_SG_INPUTS];
    const enis = peek(m.props, "networkInterfaces");
    if (Array.isArray(enis)) {
        enis.forEach((_, i) => paths.push(["networkInterfaces", i, "securityGroups"]));
    } else if (enis !== undefined && enis !== null) {
        void m.props.networkInterfaces; // unknown: throws the engine's UnknownValueError
    }
    for (const path of paths) {
        const raw = peekPath(m.props, path);
        if (raw === undefined || raw === null) {
            continue;
        }
        const found = view.refsOf(m, path, [T.securityGroup]);
        const given = Array.isArray(raw) ? raw.filter((x) => typeof x === "string").length : typeof raw === "string" ? 1 : 0;
        unresolved += Math.max(0, given - found.length);
        sgs.push(...found);
    }
    return { sgs, unresolved };
}

export const etcdMasterOnly: StackValidationPolicy = {
    name: "kilonode-etcd-master-only",
    description:
        "etcd (2379-2380) and events etcd (2382-2383) accept traffic only from the master security group itself. " +
        "etcd holds every Secret of the cluster and, per report 001, is the component that falls over first under " +
        "load; no worker, TF controller or CIDR may reach it. A security group that is also attached to " +
        "non-master machines is not 'the master security group'.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateStack: (args, reportViolation) => {
        const view = new StackView(args.resources as Res[]);
        const deferred = new Deferred();
        const sgs = view.ofType(T.securityGroup);
        const machines = view.ofType(T.instance, T.launchTemplate);
        const masters = machines.filter((m) => roleOf(m) === "master");

        // Security groups attached to masters, and those attached to anything else. A machine whose groups are
        // unknown makes the answer undecidable (finish() reports it), not a pass.
        const onMasters = new Set<Res>();
        const onOthers = new Set<Res>();
        let unresolved = 0;
        for (const m of machines) {
            const attached = deferred.check(m, () => sgsOfMachine(view, m));
            if (!attached) {
                continue;
            }
            if (roleOf(m) === "master") {
                unresolved += attached.unresolved;
            }
            attached.sgs.forEach((sg) => (roleOf(m) === "master" ? onMasters : onOthers).add(sg));
        }
        for (const sg of sgs) {
            if (roleOf(sg) === "master") {
                onMasters.add(sg);
            }
        }
        if (onMasters.size === 0) {
            if (masters.length > 0 && deferred.count === 0) {
                reportViolation(
                    `Could not identify the master security group (${masters.length} master machine(s), ` +
                    `${unresolved} unresolvable security group reference(s)). Expected the masters' ` +
                    "vpcSecurityGroupIds to name a security group of the stack, or a security group tagged " +
                    "kilonode:role=master, so the etcd ports can be checked.",
                );
            }
            deferred.finish();
            return;
        }

        const check = (sg: Res, rule: IngressRule, owner: Res, where: string) => {
            for (const [from, to, label] of ETCD_PORT_RANGES) {
                if (!coversTcpPorts(rule, from, to)) {
                    continue;
                }
                const problems: string[] = [];
                if (rule.cidrs.length > 0) {
                    problems.push(`CIDR ${rule.cidrs.join(", ")}`);
                }
                if (rule.prefixLists.length > 0) {
                    problems.push(`prefix list ${rule.prefixLists.join(", ")}`);
                }
                // Sources: the rule's security-group references (for an inline rule, only known ids: the inline
                // ingress list is one input, its dependencies do not say which rule names which group).
                const sources: Res[] = [];
                let otherSources: string[] = [];
                if (rule.inline) {
                    for (const ref of rule.sourceSgRefs) {
                        const src = view.resolver.resolve(ref, [T.securityGroup]);
                        if (src) {
                            sources.push(src);
                        } else {
                            otherSources.push(ref);
                        }
                    }
                } else if (rule.sourceProperty) {
                    const raw = peek(owner.props, rule.sourceProperty);
                    if (raw !== undefined && raw !== null) {
                        sources.push(...view.refsOf(owner, [rule.sourceProperty], [T.securityGroup]));
                        if (sources.length === 0 && !isUnknown(raw)) {
                            otherSources = rule.sourceSgRefs;
                        }
                    }
                }
                for (const src of sources) {
                    if (src !== sg) {
                        problems.push(`security group ${src.name}`);
                    }
                }
                otherSources.forEach((ref) => problems.push(`security group ${ref}`));
                const selfish = rule.self || sources.length > 0 || otherSources.length > 0;
                if (selfish && onOthers.has(sg)) {
                    problems.push(`the group itself, which is also attached to non-master machines`);
                }
                if (!onMasters.has(sg) || problems.length === 0) {
                    continue;
                }
                reportViolation(
                    `${where} opens ${label} (${describePorts(rule)}) on master security group ${sg.name} to ` +
                    `${problems.join("; ")}. Expected only the master security group itself (self) as the source.`,
                    owner.urn,
                );
            }
        };

        for (const sg of onMasters) {
            deferred.check(sg, () => {
                for (const rule of ingressRulesOf(sg.type, sg.props)) {
                    check(sg, rule, sg, `${sg.name} ${rule.label}`);
                }
            });
        }
        for (const r of view.ofType(T.sgRule, T.sgIngressRule)) {
            deferred.check(r, () => {
                for (const rule of ingressRulesOf(r.type, r.props)) {
                    const [target] = rule.targetProperty ? view.refsOf(r, [rule.targetProperty], [T.securityGroup]) : [];
                    if (target && onMasters.has(target)) {
                        check(target, rule, r, `${r.type} ${r.name}`);
                    }
                }
            });
        }
        deferred.finish();
    },
};

export const imdsv2Required: ResourceValidationPolicy = {
    name: "kilonode-imdsv2-required",
    description:
        "Every EC2 instance and launch template requires IMDSv2 (metadataOptions.httpTokens = \"required\"). " +
        "Nodes fetch the bootstrap token and PKI keys from SSM with their instance role; with IMDSv1 any SSRF in " +
        "a pod can lift those role credentials.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, reportViolation) => {
        if (args.type !== T.instance && args.type !== T.launchTemplate) {
            return;
        }
        const mo = args.props.metadataOptions;
        if (mo?.httpEndpoint === "disabled") {
            return;
        }
        if (mo?.httpTokens !== "required") {
            reportViolation(
                `${args.type} ${args.name}: expected metadataOptions.httpTokens = "required" (IMDSv2), found ` +
                `${mo?.httpTokens === undefined ? "no metadataOptions.httpTokens (defaults to optional)" : `"${mo.httpTokens}"`}.`,
            );
        }
    },
};

function isTrue(v: unknown): boolean {
    return v === true || v === "true";
}

export const encryptedVolumes: ResourceValidationPolicy = {
    name: "kilonode-encrypted-root-volumes",
    description:
        "Root (and other EBS) volumes of instances and launch templates are encrypted. Nodes keep kubeconfigs, " +
        "pulled images and, on masters, kubeadm-generated PKI on their root disk.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, reportViolation) => {
        const p = args.props;
        if (args.type === T.instance) {
            if (!isTrue(p.rootBlockDevice?.encrypted)) {
                reportViolation(
                    `Instance ${args.name}: expected rootBlockDevice.encrypted = true, found ` +
                    `${p.rootBlockDevice ? String(p.rootBlockDevice.encrypted) : "no rootBlockDevice"}.`,
                );
            }
            (Array.isArray(p.ebsBlockDevices) ? p.ebsBlockDevices : []).forEach((d: any, i: number) => {
                if (!isTrue(d?.encrypted)) {
                    reportViolation(`Instance ${args.name}: ebsBlockDevices[${i}] (${d?.deviceName}) is not encrypted.`);
                }
            });
        } else if (args.type === T.launchTemplate) {
            const mappings: any[] = Array.isArray(p.blockDeviceMappings) ? p.blockDeviceMappings : [];
            const ebs = mappings.filter((m) => m?.ebs);
            if (ebs.length === 0) {
                reportViolation(
                    `LaunchTemplate ${args.name}: expected a blockDeviceMappings entry with ebs.encrypted = "true" for ` +
                    "the root volume, found none (the AMI's unencrypted default would be used).",
                );
            }
            for (const m of ebs) {
                if (!isTrue(m.ebs.encrypted)) {
                    reportViolation(
                        `LaunchTemplate ${args.name}: blockDeviceMappings ${m.deviceName}: expected ebs.encrypted = ` +
                        `"true", found ${JSON.stringify(m.ebs.encrypted ?? null)}.`,
                    );
                }
            }
        }
    },
};

// --- secrets in user-data -------------------------------------------------------------------------------------

export const BOOTSTRAP_TOKEN_PLACEHOLDER = "__BOOTSTRAP_TOKEN__";
const PEM_PRIVATE_KEY_RE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const BOOTSTRAP_TOKEN_RE = /(?<![A-Za-z0-9_.-])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9_-])/;
const PASSWORD_KEY_RE =
    /(?:^|[\s"'{,-])((?:[A-Za-z0-9_.-]*?)(?:password|passwd|passphrase|secret|secret[_-]?key|api[_-]?key|access[_-]?key|private[_-]?key|certificate[_-]?key|token))["']?\s*(?::|=)\s*(.*)$/i;

function isPlaceholderValue(raw: string): boolean {
    let v = raw.trim().replace(/\s+#.*$/, "").replace(/[,}]+$/, "").trim();
    if ((v.startsWith("\"") && v.endsWith("\"")) || (v.startsWith("'") && v.endsWith("'"))) {
        v = v.slice(1, -1).trim();
    }
    return (
        v === "" ||
        v === SECRET_PLACEHOLDER ||
        /^(null|~|true|false|none|changeme-from-ssm)$/i.test(v) ||
        /^__[A-Z0-9_]+__$/.test(v) ||            // __BOOTSTRAP_TOKEN__ and friends, substituted on the node
        /^\$/.test(v) ||                          // $VAR, ${VAR}, $(aws ssm get-parameter ...)
        /^(os\.environ\s*\[|os\.environ\.get\s*\(|os\.getenv\s*\(|process\.env\.|ENV\s*\[)/.test(v) || // read from the environment at run time
        /^\{\{.*\}\}$/.test(v) ||                 // templates
        /^<.*>$/.test(v) ||                       // <placeholder>
        /^(\/|~\/|\.\/)\S*$/.test(v) ||              // a file path (ssh_private_key: /root/.ssh/id_rsa), not the secret
        /^[|>][-+]?$/.test(v)                     // YAML block scalar header; the lines below are scanned on their own
    );
}

/** Keys that end like a secret but name public identifiers (etcd's cluster token is a cluster id, not a credential). */
const NOT_SECRET_KEY_RE = /(^|[-_.])initial[-_]cluster[-_]token$/i;

/** Returns findings (kind + line number) of plaintext secrets in a text. */
export function findSecrets(text: string): string[] {
    const findings: string[] = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
        const at = `line ${i + 1}`;
        if (PEM_PRIVATE_KEY_RE.test(line)) {
            findings.push(`a PEM private key (${at})`);
        }
        const tok = BOOTSTRAP_TOKEN_RE.exec(line);
        if (tok) {
            findings.push(`a kubeadm bootstrap token "${tok[0].slice(0, 7)}****************" (${at})`);
        }
        // Comment lines are prose ("# the token: comes from SSM"), not assignments.
        const pw = /^\s*#/.test(line) ? null : PASSWORD_KEY_RE.exec(line);
        if (pw && !NOT_SECRET_KEY_RE.test(pw[1]) && !isPlaceholderValue(pw[2])) {
            findings.push(`a plaintext value for "${pw[1]}" (${at})`);
        }
    });
    return findings;
}

export const noSecretsInUserData: ResourceValidationPolicy = {
    name: "kilonode-no-secrets-in-user-data",
    description:
        "User-data carries no private key, kubeadm bootstrap token or password. Report 000 pasted the join token " +
        "into 1,000 ssh commands; in kilonode the token and PKI keys live in SSM Parameter Store (SecureString) and " +
        `nodes fetch them at boot, user-data only holds the placeholder ${BOOTSTRAP_TOKEN_PLACEHOLDER}. User-data is ` +
        "readable by anything that can call DescribeInstanceAttribute or reach the metadata service.",
    enforcementLevel: "mandatory",
    severity: "critical",
    validateResource: (args, reportViolation) => {
        const ud = decodeUserData(args.type, args.props);
        if (!ud) {
            return;
        }
        if (ud.text === undefined) {
            // Undecodable user-data is not "no secrets": say it could not be checked. The offline plan's [secret]
            // mask is the one exception (the engine hands the policy the plaintext; only the plan hides it).
            if (peek(args.props, ud.source) !== SECRET_PLACEHOLDER) {
                reportViolation(
                    `${args.type} ${args.name}: ${ud.source} could not be decoded (${ud.problem}), so it cannot be checked ` +
                    "for secrets. Expected a gzip+base64 (or base64) #cloud-config document.",
                );
            }
            return;
        }
        const texts: [string, string][] = [[ud.source, ud.text]];
        // write_files entries may carry their own base64/gzip encoding: scan the decoded content too.
        const cc = parseCloudConfig(ud.text);
        for (const wf of cc?.writeFiles ?? []) {
            if (wf.encoding && !/^(text\/plain|plain)$/i.test(wf.encoding)) {
                texts.push([`${ud.source} write_files ${wf.path}`, wf.content]);
            }
        }
        for (const [where, text] of texts) {
            const findings = findSecrets(text);
            if (findings.length > 0) {
                reportViolation(
                    `${args.type} ${args.name}: decoded ${where} contains ${findings.join(", ")}. Expected secrets ` +
                    `to come from SSM Parameter Store at boot (placeholder ${BOOTSTRAP_TOKEN_PLACEHOLDER}).`,
                );
            }
        }
    },
};

export const securityPolicies = [noPublicIngress, etcdMasterOnly, imdsv2Required, encryptedVolumes, noSecretsInUserData];
