// Scale policies: the control plane and kubelets are tuned for the number of workers the stack brings up.
import type { StackValidationPolicy } from "@pulumi/policy";
import { formatBytes, formatCpu, parsePercent, parseQuantity } from "./lib/quantity";
import { Res, StackView, T } from "./lib/resources";
import { Deferred } from "./lib/unknowns";
import {
    ETCD_EVENTS_MANIFEST_PATH, findWriteFile, KUBEADM_INIT_PATH, KUBELET_PATCH_PATH, loadYamlDocs,
} from "./lib/userdata";

const GiB = 2 ** 30;
const MiB = 2 ** 20;

export interface Tier {
    minWorkers: number;
    maxRequestsInflight: number;
    maxMutatingRequestsInflight: number;
    quotaBackendBytes: number;
}

/** The contract's tuning minimums (worker count tier -> values). */
export const TIERS: Tier[] = [
    { minWorkers: 0, maxRequestsInflight: 400, maxMutatingRequestsInflight: 200, quotaBackendBytes: 2 * GiB },
    { minWorkers: 100, maxRequestsInflight: 800, maxMutatingRequestsInflight: 400, quotaBackendBytes: 4 * GiB },
    // report 002: 400 was not enough at ~1,000 nodes, 2000 worked; report 001: 8 GiB etcd quota.
    { minWorkers: 500, maxRequestsInflight: 2000, maxMutatingRequestsInflight: 1000, quotaBackendBytes: 8 * GiB },
    { minWorkers: 2000, maxRequestsInflight: 3000, maxMutatingRequestsInflight: 1500, quotaBackendBytes: 8 * GiB },
];

export function tierFor(workers: number): Tier {
    let t = TIERS[0];
    for (const tier of TIERS) {
        if (workers >= tier.minWorkers) {
            t = tier;
        }
    }
    return t;
}

/** kube-apiserver / etcd defaults, i.e. what a missing flag means. */
const DEFAULTS = { maxRequestsInflight: 400, maxMutatingRequestsInflight: 200, quotaBackendBytes: 2 * GiB };

/** kubelet minimums (report 003: reserve for kube and system daemons, eviction thresholds). */
export const KUBELET_MINIMUMS = {
    kubeReserved: { cpu: 0.1, memory: 256 * MiB },
    systemReserved: { cpu: 0.05, memory: 128 * MiB },
    evictionHardMemoryAvailable: 100 * MiB,
};

/** Memory of instance types the stack is likely to use (GiB), to evaluate percentage eviction thresholds. */
const INSTANCE_MEMORY_GIB: Record<string, number> = {
    "m3.medium": 3.75, "m3.large": 7.5, "m3.xlarge": 15, "m3.2xlarge": 30,
    "m5.large": 8, "m5.xlarge": 16, "m5.2xlarge": 32, "m5d.large": 8, "m5d.xlarge": 16,
    "c5.large": 4, "c5.xlarge": 8, "t3.medium": 4, "t3.large": 8, "t3.xlarge": 16,
};

/**
 * kubeadm extraArgs as a map: kubeadm.k8s.io/v1beta3 has a map, v1beta4 a list of {name, value}
 * (repeated names allowed; the last one wins here, as for a repeated command-line flag).
 */
export function extraArgsMap(extraArgs: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (Array.isArray(extraArgs)) {
        for (const a of extraArgs) {
            if (a && typeof a.name === "string") {
                out[a.name] = a.value === undefined || a.value === null ? "" : String(a.value);
            }
        }
    } else if (extraArgs && typeof extraArgs === "object") {
        for (const [k, v] of Object.entries(extraArgs)) {
            out[k] = v === undefined || v === null ? "" : String(v);
        }
    }
    return out;
}

const OVERRIDE_NOTE = (policy: string) =>
    ` If the lower value is a deliberate override, set "${policy}" to "advisory" or "disabled" in the policy pack ` +
    "config (pulumi preview --policy-pack-config).";

export const TUNING_POLICY = "kilonode-control-plane-tuning";

export const controlPlaneTuning: StackValidationPolicy = {
    name: TUNING_POLICY,
    description:
        "kube-apiserver max-requests-inflight / max-mutating-requests-inflight and the etcd quota-backend-bytes in " +
        "the master's kubeadm ClusterConfiguration meet the minimums for the stack's worker count (sum of the " +
        "worker ASGs' desiredCapacity). Report 002: max-requests-inflight 400 was not enough at ~1,000 nodes and " +
        "2000 worked; report 001: etcd needs an 8 GiB quota at that size. Tiers: <100 workers 400/200/2 GiB, " +
        ">=100 800/400/4 GiB, >=500 2000/1000/8 GiB, >=2000 3000/1500/8 GiB.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateStack: (args, reportViolation) => {
        const view = new StackView(args.resources as any as Res[]);
        const masters = view.machinesWithRole("master");
        if (masters.length === 0) {
            return;
        }
        const workers = view.workerCounts();
        // Worker groups start at the first step of the paced scale-out and grow to maxSize: size by the target.
        const size = Math.max(workers.desired, workers.max);
        const tier = tierFor(size);
        const context = `for ${size} workers (tier >= ${tier.minWorkers}` +
            (workers.max !== workers.desired ? `; ASG maxSize total ${workers.max}` : "") + ")";
        let inits = 0;
        // A master whose user-data is unknown (preview) is undecided, not "has no init.yaml".
        const deferred = new Deferred();
        for (const m of masters) {
            const ud = deferred.check(m, () => view.userData(m));
            if (!ud) {
                continue;
            }
            const where = `${m.name}:${KUBEADM_INIT_PATH}`;
            const init = findWriteFile(ud.cloudConfig, KUBEADM_INIT_PATH);
            if (init) {
                inits++;
                let docs: any[];
                try {
                    docs = loadYamlDocs(init.content);
                } catch (e) {
                    reportViolation(`${where} is not valid YAML: ${(e as Error).message}`, m.urn);
                    continue;
                }
                const cc = docs.find((d) => d?.kind === "ClusterConfiguration");
                if (!cc) {
                    reportViolation(`${where} has no ClusterConfiguration document; expected the apiServer and etcd tuning there.`, m.urn);
                    continue;
                }
                const api = extraArgsMap(cc.apiServer?.extraArgs);
                const checks: [string, string | undefined, number, number][] = [
                    ["apiServer.extraArgs max-requests-inflight", api["max-requests-inflight"],
                        tier.maxRequestsInflight, DEFAULTS.maxRequestsInflight],
                    ["apiServer.extraArgs max-mutating-requests-inflight", api["max-mutating-requests-inflight"],
                        tier.maxMutatingRequestsInflight, DEFAULTS.maxMutatingRequestsInflight],
                ];
                for (const [label, raw, min, def] of checks) {
                    const found = raw === undefined ? def : Number(raw);
                    if (!(found >= min)) {
                        reportViolation(
                            `${label}: expected >= ${min} ${context}, found ${raw === undefined ? `not set (default ${def})` : raw} ` +
                            `in ${where} (${cc.apiVersion}). Report 002: 400 was not enough at ~1,000 nodes, 2000 worked.` +
                            OVERRIDE_NOTE(TUNING_POLICY),
                            m.urn,
                        );
                    }
                }
                if (cc.etcd?.local || !cc.etcd?.external) {
                    const raw = extraArgsMap(cc.etcd?.local?.extraArgs)["quota-backend-bytes"];
                    const found = raw === undefined ? DEFAULTS.quotaBackendBytes : Number(raw);
                    if (!(found >= tier.quotaBackendBytes)) {
                        reportViolation(
                            `etcd.local.extraArgs quota-backend-bytes: expected >= ${tier.quotaBackendBytes} ` +
                            `(${formatBytes(tier.quotaBackendBytes)}) ${context}, found ` +
                            `${raw === undefined ? `not set (etcd default ${formatBytes(found)})` : `${raw}${Number.isFinite(found) ? ` (${formatBytes(found)})` : ""}`} ` +
                            `in ${where}. Report 001: 8 GiB quota at this size.` + OVERRIDE_NOTE(TUNING_POLICY),
                            m.urn,
                        );
                    }
                }
            }
            // The events etcd static pod, when present, gets the same quota floor if it sets one.
            const ev = findWriteFile(ud.cloudConfig, ETCD_EVENTS_MANIFEST_PATH);
            if (ev) {
                let pod: any;
                try {
                    pod = loadYamlDocs(ev.content).find((d) => d?.kind === "Pod");
                } catch {
                    pod = undefined;
                }
                for (const c of pod?.spec?.containers ?? []) {
                    const argv: string[] = [...(c.command ?? []), ...(c.args ?? [])].map(String);
                    const flag = argv.find((a) => a.startsWith("--quota-backend-bytes="));
                    if (flag) {
                        const found = Number(flag.split("=")[1]);
                        if (!(found >= tier.quotaBackendBytes)) {
                            reportViolation(
                                `events etcd --quota-backend-bytes: expected >= ${tier.quotaBackendBytes} ` +
                                `(${formatBytes(tier.quotaBackendBytes)}) ${context}, found ${flag.split("=")[1]} in ` +
                                `${m.name}:${ETCD_EVENTS_MANIFEST_PATH}.` + OVERRIDE_NOTE(TUNING_POLICY),
                                m.urn,
                            );
                        }
                    }
                }
            }
        }
        if (inits === 0 && deferred.count === 0) {
            reportViolation(
                `No master carries ${KUBEADM_INIT_PATH} in its user-data (masters: ${masters.map((m) => m.name).join(", ")}); ` +
                `cannot check the control-plane tuning ${context}.`,
            );
        }
        deferred.finish();
    },
};

export const KUBELET_POLICY = "kilonode-kubelet-reservations";

function describe(v: unknown): string {
    return v === undefined ? "not set" : JSON.stringify(v);
}

export const kubeletReservations: StackValidationPolicy = {
    name: KUBELET_POLICY,
    description:
        "Every worker launch template's kubelet patch (/etc/kilonode/kubeadm/patches/kubeletconfiguration+merge.yaml) " +
        "reserves kubeReserved cpu >= 100m / memory >= 256Mi, systemReserved cpu >= 50m / memory >= 128Mi and sets " +
        "evictionHard memory.available >= 100Mi. Report 003: without reservations pods starve kubelet, the " +
        "container runtime and kube-proxy, nodes go NotReady and etcd takes the churn; on 1,000 m3.medium nodes " +
        "that is a storm.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateStack: (args, reportViolation) => {
        const view = new StackView(args.resources as any as Res[]);
        const deferred = new Deferred();
        for (const m of view.machinesWithRole("worker")) {
            const ud = deferred.check(m, () => view.userData(m));
            if (!ud) {
                continue;
            }
            const where = `${m.name}:${KUBELET_PATCH_PATH}`;
            const patch = findWriteFile(ud.cloudConfig, KUBELET_PATCH_PATH);
            if (!patch) {
                reportViolation(
                    `Worker ${m.type} ${m.name} has no ${KUBELET_PATCH_PATH} in its user-data` +
                    `${ud.decoded?.problem ? ` (${ud.decoded.problem})` : ""}; expected the kubelet reservations there.` +
                    OVERRIDE_NOTE(KUBELET_POLICY),
                    m.urn,
                );
                continue;
            }
            let kc: any;
            try {
                kc = loadYamlDocs(patch.content).find((d) => d && typeof d === "object") ?? {};
            } catch (e) {
                reportViolation(`${where} is not valid YAML: ${(e as Error).message}`, m.urn);
                continue;
            }
            const problems: string[] = [];
            for (const section of ["kubeReserved", "systemReserved"] as const) {
                const min = KUBELET_MINIMUMS[section];
                const raw = kc[section] ?? {};
                const cpu = parseQuantity(raw.cpu);
                if (!(cpu !== undefined && cpu >= min.cpu - 1e-12)) {
                    problems.push(`${section}.cpu: expected >= ${formatCpu(min.cpu)}, found ${describe(raw.cpu)}`);
                }
                const mem = parseQuantity(raw.memory);
                if (!(mem !== undefined && mem >= min.memory)) {
                    problems.push(`${section}.memory: expected >= ${formatBytes(min.memory)}, found ${describe(raw.memory)}`);
                }
            }
            const evRaw = kc.evictionHard?.["memory.available"];
            let ev = parseQuantity(evRaw);
            const pct = parsePercent(evRaw);
            const itype = typeof m.props.instanceType === "string" ? m.props.instanceType : undefined;
            if (ev === undefined && pct !== undefined && itype && INSTANCE_MEMORY_GIB[itype]) {
                ev = pct * INSTANCE_MEMORY_GIB[itype] * GiB;
            }
            if (!(ev !== undefined && ev >= KUBELET_MINIMUMS.evictionHardMemoryAvailable)) {
                problems.push(
                    `evictionHard["memory.available"]: expected >= ${formatBytes(KUBELET_MINIMUMS.evictionHardMemoryAvailable)}, ` +
                    `found ${describe(evRaw)}${pct !== undefined && ev === undefined ? " (a percentage of an instance type of unknown memory)" : ""}`,
                );
            }
            if (problems.length > 0) {
                reportViolation(
                    `Worker ${m.name} kubelet patch ${where}: ${problems.join("; ")}. Report 003: reserve for kube and ` +
                    "system daemons and evict before the node runs out of memory." + OVERRIDE_NOTE(KUBELET_POLICY),
                    m.urn,
                );
            }
        }
        deferred.finish();
    },
};

export const scalePolicies = [controlPlaneTuning, kubeletReservations];
