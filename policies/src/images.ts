// Image supply: every image the stack renders comes from the stack's own ECR registry, pinned by digest (issue 12).
import type { StackValidationPolicy } from "@pulumi/policy";
import * as yaml from "js-yaml";
import { peekPath, Res, StackView, T } from "./lib/resources";
import { Deferred, isUnknown, peek } from "./lib/unknowns";
import { CloudConfig, ENV_PATH, parseEnvFile, TF_INSTANCES_PATH } from "./lib/userdata";

export const ECR_REPOSITORY = "aws:ecr/repository:Repository";
export const IMAGES_POLICY = "kilonode-images-from-stack-registry";

/** ECR private registry host (AWS docs, "Amazon ECR private registry": <account>.dkr.ecr.<region>.amazonaws.com[.cn]). */
const ECR_HOST_RE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export interface ImageRef {
    raw: string;
    /** Registry host; Docker Hub for references without one ("opensdn/x:tag" is docker.io/opensdn/x:tag). */
    host: string;
    path: string;
    tag?: string;
    digest?: string;
}

/**
 * Parses an image reference like the distribution reference grammar (github.com/distribution/reference
 * normalize.go): the first component is a registry host when it contains "." or ":" or is "localhost".
 */
export function parseImageRef(raw: string): ImageRef {
    let rest = raw.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    let tag: string | undefined;
    const slash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    if (colon > slash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    const first = rest.indexOf("/");
    const head = first > 0 ? rest.slice(0, first) : "";
    if (head && (head.includes(".") || head.includes(":") || head === "localhost")) {
        return { raw, host: head, path: rest.slice(first + 1), tag, digest };
    }
    return { raw, host: "docker.io", path: rest.includes("/") ? rest : `library/${rest}`, tag, digest };
}

/** What the stack's registry is, derived from the stack's own resources. */
export interface StackRegistry {
    region?: string;
    /** Accounts the stack runs in: the aws provider's allowedAccountIds, the repositories' registryId / repositoryUrl. */
    accounts: Set<string>;
    /** Names of the stack's ECR repositories ("kilonode-dev/kube-apiserver"). */
    repositories: Map<string, Res>;
    /** Their first path segments ("kilonode-dev"): the stack's prefix. */
    prefixes: Set<string>;
}

export function stackRegistry(view: StackView): StackRegistry {
    const accounts = new Set<string>();
    const repositories = new Map<string, Res>();
    for (const p of view.ofType(T.awsProvider)) {
        // Provider inputs reach the engine as strings: a list is JSON text ('["123456789012"]').
        let allowed: unknown = p.props.allowedAccountIds;
        if (typeof allowed === "string") {
            try {
                allowed = JSON.parse(allowed);
            } catch {
                allowed = [allowed];
            }
        }
        for (const a of Array.isArray(allowed) ? allowed : []) {
            if (typeof a === "string") {
                accounts.add(a);
            }
        }
    }
    for (const r of view.ofType(ECR_REPOSITORY)) {
        const name = r.props.name;
        if (typeof name === "string") {
            repositories.set(name, r);
        }
        // Outputs, when the engine passes them (analyzeStack after an update): the registry the repository is in.
        const registryId = peek(r.props, "registryId");
        if (typeof registryId === "string" && !isUnknown(registryId)) {
            accounts.add(registryId);
        }
        const url = peek(r.props, "repositoryUrl");
        const m = typeof url === "string" && !isUnknown(url) ? ECR_HOST_RE.exec(url.split("/")[0]) : null;
        if (m) {
            accounts.add(m[1]);
        }
    }
    const prefixes = new Set([...repositories.keys()].map((n) => n.split("/")[0]));
    return { region: view.region(), accounts, repositories, prefixes };
}

/** Why a full image reference is not in the stack's registry or not pinned; empty when it is fine. */
export function imageProblems(ref: ImageRef, reg: StackRegistry): string[] {
    const problems: string[] = [];
    const ecr = ECR_HOST_RE.exec(ref.host);
    if (!ecr) {
        problems.push(`registry ${ref.host} is not the stack's ECR registry`);
    } else {
        if (reg.region && ecr[2] !== reg.region) {
            problems.push(`ECR registry in ${ecr[2]}, the stack is in ${reg.region}`);
        }
        if (reg.accounts.size === 0) {
            problems.push("the stack's account is unknown (no allowedAccountIds on the aws provider, no repository registryId), " +
                `so account ${ecr[1]} cannot be verified`);
        } else if (!reg.accounts.has(ecr[1])) {
            problems.push(`account ${ecr[1]}'s registry, the stack's account is ${[...reg.accounts].join(" or ")}`);
        }
        problems.push(...repositoryProblems(ref.path, reg));
    }
    if (!ref.digest) {
        problems.push("not pinned by digest (tag only)");
    } else if (!DIGEST_RE.test(ref.digest)) {
        problems.push(`digest ${ref.digest} is not sha256:<64 hex>`);
    }
    return problems;
}

function repositoryProblems(path: string, reg: StackRegistry): string[] {
    if (reg.repositories.size === 0) {
        return ["the stack declares no ECR repository"];
    }
    const prefix = path.split("/")[0];
    if (!reg.prefixes.has(prefix)) {
        return [`repository prefix ${prefix}/ is not the stack's (${[...reg.prefixes].map((p) => `${p}/`).join(", ")})`];
    }
    return reg.repositories.has(path) ? [] : [`no repository ${path} in the stack`];
}

/**
 * A registry base that a consumer completes with "/<name>:<tag>" (kubeadm imageRepository, the TF deployer's
 * CONTAINER_REGISTRY): it must be <stack registry>/<prefix>, and because those pulls are by tag, the stack's
 * repositories must have immutable tags (a tag then always names the bytes whose digest the lock records).
 */
export function registryBaseProblems(base: string, reg: StackRegistry): string[] {
    const ref = parseImageRef(`${base}/x`);
    const problems = imageProblems({ ...ref, digest: "sha256:" + "0".repeat(64) }, reg)
        .filter((p) => !p.startsWith("no repository "));
    const basePath = ref.path.slice(0, -"/x".length);
    const prefix = basePath.split("/")[0];
    if (ECR_HOST_RE.test(ref.host) && (basePath === "" || basePath.includes("/"))) {
        problems.push(`expected <registry>/<prefix>, found path "${basePath}"`);
    }
    const mutable = [...reg.repositories.entries()]
        .filter(([name, r]) => name.startsWith(`${prefix}/`) && peek(r.props, "imageTagMutability") !== "IMMUTABLE")
        .map(([name]) => name);
    if (mutable.length > 0) {
        problems.push(`pulls by tag from repositories whose tags are mutable (${mutable.slice(0, 3).join(", ")}` +
            `${mutable.length > 3 ? ", ..." : ""}); expected imageTagMutability IMMUTABLE`);
    }
    return problems;
}

const WORKLOAD_KINDS = new Set(["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod"]);

/**
 * Images of a pod spec's containers, init and ephemeral containers, for an object that is a Pod, a workload (pod
 * template, CronJob job template) or a kubeadm patch of a static pod (a partial Pod). Only the container lists are
 * read: metadata may hold values unknown in a preview (a checksum annotation) that have nothing to do with images.
 */
export function containerImages(obj: any, where: string, out: [string, string][] = []): [string, string][] {
    const spec = peek(obj, "spec");
    const specs = [spec, peekPath(spec, ["template", "spec"]), peekPath(spec, ["jobTemplate", "spec", "template", "spec"])];
    specs.forEach((candidate, i) => {
        if (!candidate || typeof candidate !== "object") {
            return;
        }
        const s = i === 0 ? obj.spec : i === 1 ? obj.spec.template.spec : obj.spec.jobTemplate.spec.template.spec;
        for (const key of ["containers", "initContainers", "ephemeralContainers"]) {
            if (peek(s, key) === undefined) {
                continue;
            }
            for (const c of Array.isArray(s[key]) ? s[key] : []) {
                const image = c?.image;
                if (typeof image === "string") {
                    const label = key === "containers" ? "container" : key.replace(/s$/, "");
                    out.push([`${where ? `${where} ` : ""}${label} ${c?.name ?? "?"}`, image]);
                }
            }
        }
    });
    return out;
}

/** Image references and registry bases a machine's user-data makes it pull. */
export function userDataImages(cc: CloudConfig | undefined): { images: [string, string][]; bases: [string, string][] } {
    const images: [string, string][] = [];
    const bases: [string, string][] = [];
    for (const wf of cc?.writeFiles ?? []) {
        if (wf.path === ENV_PATH) {
            for (const [k, v] of Object.entries(parseEnvFile(wf.content))) {
                if (/_IMAGE$/.test(k) && v) {
                    images.push([`${wf.path} ${k}`, v]);
                }
            }
            continue;
        }
        // containerd's CRI sandbox image, wherever a config.toml fragment sets it.
        for (const m of wf.content.matchAll(/^\s*sandbox_image\s*=\s*"([^"$]+)"/gm)) {
            images.push([`${wf.path} sandbox_image`, m[1]]);
        }
        if (!/\.ya?ml$/.test(wf.path)) {
            continue;
        }
        let docs: any[];
        try {
            docs = yaml.loadAll(wf.content).filter((d) => d && typeof d === "object");
        } catch {
            images.push([`${wf.path}`, "(YAML that does not parse)"]);
            continue;
        }
        for (const d of docs) {
            if (d.kind === "ClusterConfiguration") {
                // kubeadm: imageRepository defaults to registry.k8s.io (kubeadm constants DefaultImageRepository);
                // etcd and CoreDNS may override it (v1beta3/v1beta4 ImageMeta).
                bases.push([`${wf.path} ClusterConfiguration.imageRepository`,
                    typeof d.imageRepository === "string" && d.imageRepository ? d.imageRepository : "registry.k8s.io"]);
                for (const [label, meta] of [["etcd.local", d.etcd?.local], ["dns", d.dns]] as const) {
                    if (typeof meta?.imageRepository === "string" && meta.imageRepository) {
                        bases.push([`${wf.path} ClusterConfiguration.${label}.imageRepository`, meta.imageRepository]);
                    }
                }
            }
            if (wf.path === TF_INSTANCES_PATH) {
                // The deployer reads CONTAINER_REGISTRY from global_configuration; older inventories set it under
                // contrail_configuration: check either.
                for (const section of ["global_configuration", "contrail_configuration"]) {
                    const registry = d[section]?.CONTAINER_REGISTRY;
                    if (typeof registry === "string") {
                        bases.push([`${wf.path} ${section}.CONTAINER_REGISTRY`, registry]);
                    }
                }
            }
            images.push(...containerImages(d, `${wf.path}${d.kind ? ` ${d.kind}` : ""}${d.metadata?.name ? ` ${d.metadata.name}` : ""}`));
        }
    }
    return { images, bases };
}

/** Image references of a Kubernetes resource (workload kinds, and yaml ConfigFile/ConfigGroup documents). */
export function kubernetesImages(r: Res): [string, string][] {
    const out: [string, string][] = [];
    // Workloads and their server-side-apply patches (DeploymentPatch, DaemonSetPatch: pulumi-kubernetes 4.x).
    const kind = /^kubernetes:[^:]+:([A-Za-z]+?)(Patch)?$/.exec(r.type)?.[1];
    if (kind && WORKLOAD_KINDS.has(kind)) {
        containerImages(r.props, "", out);
    }
    const yamlInput = peek(r.props, "yaml");
    if (yamlInput !== undefined) {
        for (const y of [r.props.yaml].flat()) {
            if (typeof y === "string") {
                for (const d of yaml.loadAll(y)) {
                    if (d && WORKLOAD_KINDS.has((d as any).kind)) {
                        containerImages(d, `${(d as any).kind} ${(d as any).metadata?.name}`, out);
                    }
                }
            }
        }
    }
    if (Array.isArray(peek(r.props, "objs"))) {
        for (const d of r.props.objs) {
            if (d && WORKLOAD_KINDS.has(d.kind)) {
                containerImages(d, `${d.kind} ${d.metadata?.name}`, out);
            }
        }
    }
    return out;
}

export const imagesFromStackRegistry: StackValidationPolicy = {
    name: IMAGES_POLICY,
    description:
        "Every image the stack makes a node pull comes from the stack's own ECR registry " +
        "(<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<repo>, where account, region and <prefix>/<repo> are " +
        "those of the stack's aws provider and aws:ecr/repository:Repository resources) and is pinned by digest " +
        "(@sha256:...): Kubernetes workload containers and init containers, static pods and kubeadm patches in " +
        "user-data, *_IMAGE settings (the pause image containerd's sandbox_image is set from), and the registry bases " +
        "kubeadm (imageRepository) and the TF deployer (CONTAINER_REGISTRY) pull from by tag, which must then be " +
        "immutable. 1,000 nodes pulling from Docker Hub hit its anonymous limit of 10 pulls per hour per address " +
        "(issue 12); a tag can be moved under the cluster, a digest cannot.",
    enforcementLevel: "advisory",
    severity: "high",
    validateStack: (args, reportViolation) => {
        const view = new StackView(args.resources as any as Res[]);
        const reg = stackRegistry(view);
        const deferred = new Deferred();
        const report = (r: Res, found: { images: [string, string][]; bases: [string, string][] }) => {
            const lines: string[] = [];
            for (const [where, image] of found.images) {
                const problems = image.startsWith("(") ? ["cannot be read"] : imageProblems(parseImageRef(image), reg);
                if (problems.length > 0) {
                    lines.push(`${where}: ${image} (${problems.join("; ")})`);
                }
            }
            for (const [where, base] of found.bases) {
                const problems = registryBaseProblems(base, reg);
                if (problems.length > 0) {
                    lines.push(`${where}: ${base} (${problems.join("; ")})`);
                }
            }
            if (lines.length > 0) {
                const expected = `${reg.accounts.size === 1 ? [...reg.accounts][0] : "<account>"}.dkr.ecr.${reg.region ?? "<region>"}` +
                    `.amazonaws.com/${reg.prefixes.size === 1 ? [...reg.prefixes][0] : "<prefix>"}/<repository>@sha256:<digest>`;
                reportViolation(`${r.type} ${r.name}: ${lines.join("; ")}. Expected ${expected}.`, r.urn);
            }
        };
        for (const r of view.resources) {
            if (r.type.startsWith("kubernetes:")) {
                deferred.check(r, () => report(r, { images: kubernetesImages(r), bases: [] }));
            } else if (r.type === T.instance || r.type === T.launchTemplate) {
                deferred.check(r, () => report(r, userDataImages(view.userData(r).cloudConfig)));
            }
        }
        deferred.finish();
    },
};

export const imagePolicies = [imagesFromStackRegistry];
