// Reliability policies: etcd backups, master quorum, protection of the control plane.
import type { StackValidationPolicy } from "@pulumi/policy";
import { productionProperty, withDefaults } from "./lib/config";
import { Res, StackView, T, roleOf, tagsOf, toNumber } from "./lib/resources";
import { Deferred, isUnknown, peek } from "./lib/unknowns";

const INSTANCE_STORE_RE = /\bephemeral\d\b|\/dev\/xvd[b-e]\b|\/dev\/sd[b-e]\b|Instance Storage|instance[- _]store/i;

/** Whether a machine keeps /var/lib/etcd on instance store (per its user-data and ephemeral block devices). */
export function etcdOnInstanceStore(view: StackView, m: Res): boolean {
    const ud = view.userData(m);
    const text = ud.decoded?.text;
    if (!text || !text.includes("/var/lib/etcd")) {
        return false;
    }
    const mounts = ud.cloudConfig?.doc.mounts;
    if (Array.isArray(mounts)) {
        for (const entry of mounts) {
            if (Array.isArray(entry) && typeof entry[1] === "string" && entry[1].startsWith("/var/lib/etcd")
                && typeof entry[0] === "string" && INSTANCE_STORE_RE.test(entry[0])) {
                return true;
            }
        }
    }
    if (INSTANCE_STORE_RE.test(text)) {
        return true;
    }
    const p = m.props;
    const ephemeral = [
        ...(Array.isArray(p.ephemeralBlockDevices) ? p.ephemeralBlockDevices : []),
        ...(Array.isArray(p.blockDeviceMappings) ? p.blockDeviceMappings : []),
    ].some((d: any) => typeof d?.virtualName === "string" && d.virtualName.startsWith("ephemeral"));
    return ephemeral;
}

interface VersionedBucket {
    via: Res;
    names: string[];
    bucket?: Res;
}

/** Buckets of the stack with versioning Enabled, with every name they can be referred to by. */
export function versionedBuckets(view: StackView): VersionedBucket[] {
    const out: VersionedBucket[] = [];
    for (const v of view.ofType(T.bucketVersioningV2, T.bucketVersioning)) {
        if (v.props.versioningConfiguration?.status !== "Enabled") {
            continue;
        }
        // The bucket's name is unknown in a preview of a new stack; the input's dependency names the bucket.
        const ref = peek(v.props, "bucket");
        const [bucket] = view.refsOf(v, ["bucket"], [T.bucketV2, T.bucket]);
        const names = [isUnknown(ref) ? undefined : ref, bucket ? peek(bucket.props, "bucket") : undefined, bucket?.name]
            .filter((x): x is string => typeof x === "string" && !isUnknown(x));
        out.push({ via: v, names, bucket });
    }
    for (const b of view.ofType(T.bucket, T.bucketV2)) {
        const legacy = b.props.versioning?.enabled === true
            || (Array.isArray(b.props.versionings) && b.props.versionings.some((x: any) => x?.enabled === true));
        if (legacy) {
            out.push({ via: b, names: [b.name, b.props.bucket].filter((x): x is string => typeof x === "string"), bucket: b });
        }
    }
    return out;
}

export const etcdBackupVersioned: StackValidationPolicy = {
    name: "kilonode-etcd-backup-versioned",
    description:
        "A machine whose user-data puts etcd (/var/lib/etcd) on instance store must come with a versioned S3 " +
        "bucket (aws:s3/bucketVersioningV2 status Enabled) for the etcd snapshots. Report 001 moved etcd to local " +
        "SSD for write latency; instance store is lost on stop/terminate, so the snapshots are the only copy of " +
        "the cluster state, and versioning keeps a bad snapshot from overwriting the last good one.",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: (args, reportViolation) => {
        const view = new StackView(args.resources as any as Res[]);
        // A machine whose user-data is unknown (preview) may or may not keep etcd on instance store: undecided.
        const deferred = new Deferred();
        const machines = view.ofType(T.instance, T.launchTemplate)
            .filter((m) => deferred.check(m, () => etcdOnInstanceStore(view, m)) === true);
        if (machines.length === 0) {
            deferred.finish();
            return;
        }
        const versioned = versionedBuckets(view);
        for (const m of machines) {
            const backup = view.userData(m).env.BACKUP_BUCKET;
            if (versioned.length === 0) {
                reportViolation(
                    `${m.name} keeps etcd on instance store, but the stack has no S3 bucket with versioning Enabled ` +
                    `(expected an aws:s3/bucketVersioningV2:BucketVersioningV2 with versioningConfiguration.status = ` +
                    `"Enabled"${backup ? ` for BACKUP_BUCKET ${backup}` : ""}).`,
                    m.urn,
                );
                continue;
            }
            if (!backup) {
                continue;
            }
            const target = deferred.check(m, () => view.resolver.resolve(backup, [T.bucketV2, T.bucket]) ?? null);
            if (target === undefined) {
                continue;
            }
            const ok = versioned.some((v) => v.names.includes(backup) || (target !== null && v.bucket === target));
            if (!ok) {
                reportViolation(
                    `${m.name} keeps etcd on instance store and backs it up to BACKUP_BUCKET=${backup}, but no ` +
                    `versioning resource with status Enabled refers to that bucket (versioned: ` +
                    `${versioned.map((v) => v.names[0] ?? v.via.name).join(", ")}).`,
                    m.urn,
                );
            }
        }
        deferred.finish();
    },
};

/** Number of masters: master Instances plus the desired capacity of master ASGs. */
export function masterCount(view: StackView): number {
    const instances = view.ofType(T.instance).filter((r) => roleOf(r) === "master").length;
    const asgs = view.asgsWithRole("master")
        .reduce((s, a) => s + (toNumber(a.props.desiredCapacity) ?? toNumber(a.props.minSize) ?? 0), 0);
    return instances + asgs;
}

export const masterQuorum: StackValidationPolicy = {
    name: "kilonode-master-count",
    description:
        "The number of masters (instances tagged kilonode:role=master) is 1 or 3. Each master runs a stacked etcd " +
        "member: 2 masters tolerate no more failures than 1 and double the write fan-out, 4+ slow every write " +
        "(report 001: etcd latency is what limits the control plane first).",
    enforcementLevel: "mandatory",
    severity: "high",
    validateStack: (args, reportViolation) => {
        const view = new StackView(args.resources as any as Res[]);
        const n = masterCount(view);
        if (n !== 1 && n !== 3) {
            reportViolation(`Expected 1 or 3 masters (kilonode:role=master), found ${n}.`);
        }
    },
};

const protectSchema = {
    properties: {
        production: productionProperty,
    },
};

/**
 * Types whose loss loses state or identity (the machines and their disks). Security groups, rules and launch
 * templates tagged with a control-plane role are recreated without loss, so they need no protection.
 */
export const PROTECTED_TYPES: string[] = [T.instance, T.asg, "aws:ebs/volume:Volume"];

/** Resources that make up the control plane: role master/tf-controller machines and the etcd backup bucket(s). */
export function controlPlaneResources(view: StackView, deferred?: Deferred): { r: Res; why: string }[] {
    const out: { r: Res; why: string }[] = [];
    const seen = new Set<Res>();
    const add = (r: Res, why: string) => {
        if (!seen.has(r)) {
            seen.add(r);
            out.push({ r, why });
        }
    };
    for (const r of view.resources) {
        if (!PROTECTED_TYPES.includes(r.type)) {
            continue;
        }
        const role = roleOf(r);
        if (role === "master" || role === "tf-controller") {
            add(r, `kilonode:role=${role}`);
        }
    }
    for (const b of view.ofType(T.bucketV2, T.bucket)) {
        const tags = tagsOf(b.props) ?? {};
        if (tags["kilonode:role"] === "etcd-backup" || tags["kilonode:purpose"] === "etcd-backup") {
            add(b, "etcd backup bucket (tag)");
        } else if ([b.props.bucket, b.props.bucketPrefix].some((n) => typeof n === "string" && /etcd/.test(n))) {
            add(b, "etcd backup bucket (name)");
        }
    }
    for (const m of view.ofType(T.instance, T.launchTemplate)) {
        // Unknown user-data (preview): which bucket it backs up to is undecided; the other resources still count.
        const backup = deferred ? deferred.check(m, () => view.userData(m).env.BACKUP_BUCKET) : view.userData(m).env.BACKUP_BUCKET;
        const b = backup ? view.resolver.resolve(backup, [T.bucketV2, T.bucket]) : undefined;
        if (b) {
            add(b, `etcd backup bucket (BACKUP_BUCKET of ${m.name})`);
        }
    }
    return out;
}

export const protectControlPlane: StackValidationPolicy = {
    name: "kilonode-protect-control-plane",
    description:
        "In production (pack config production=true) the control plane is `protect`ed: masters, TF controllers " +
        "(kilonode:role master / tf-controller) and the etcd backup bucket. Report 001's etcd lives on instance " +
        "store and report 000's single TF controller holds the whole overlay: a stray `pulumi destroy` or a " +
        "replacement diff would take the cluster with it.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: protectSchema,
    validateStack: (args, reportViolation) => {
        const cfg = withDefaults<{ production: boolean }>(args, protectSchema);
        if (!cfg.production) {
            return;
        }
        const view = new StackView(args.resources as any as Res[]);
        const deferred = new Deferred();
        for (const { r, why } of controlPlaneResources(view, deferred)) {
            if (r.opts?.protect !== true) {
                reportViolation(
                    `${r.type} ${r.name} (${why}) is not protected. Expected protect: true on control-plane resources ` +
                    "of a production stack.",
                    r.urn,
                );
            }
        }
        deferred.finish();
    },
};

export const reliabilityPolicies = [etcdBackupVersioned, masterQuorum, protectControlPlane];
