// One passing and at least one violating case per policy, on synthetic resources and the hand-written fixture stack.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { encryptedVolumes, etcdMasterOnly, imdsv2Required, noPublicIngress, noSecretsInUserData } from "../src/security";
import { etcdBackupVersioned, masterQuorum, protectControlPlane } from "../src/reliability";
import { controlPlaneTuning, kubeletReservations } from "../src/scale";
import { maxHourlyCost, maxWorkers, noLatestImages, requiredTags } from "../src/cost";
import { policies } from "../src/policies";
import { encodeUserData, KUBEADM_INIT_PATH, KUBELET_PATCH_PATH } from "../src/lib/userdata";
import { buildFixtureStack, clone, FIXTURE_PRICES, FIXTURES, tags, userDataText } from "./lib/fixture";
import { find, mutateUserData, mutateWriteFileDocs, setExtraArg, validateResource, validateStack } from "./lib/run";
import type { PlanElement } from "../src/offline/harness";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const INSTANCE = "aws:ec2/instance:Instance";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const ASG = "aws:autoscaling/group:Group";

const byName = (plan: PlanElement[], type: string, name: string) =>
    find(plan, (e) => e.type === type && e.name === name, `${type} ${name}`);

describe("pack", () => {
    it("has unique names, a description citing a reason and a level for every policy", () => {
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        for (const p of policies) {
            assert.match(p.name, /^kilonode-[a-z0-9-]+$/);
            assert.ok(p.description.length > 80, `${p.name} description too short`);
            assert.ok(p.enforcementLevel, `${p.name} has no enforcementLevel`);
            assert.ok(!(p.configSchema?.properties ?? {}).hasOwnProperty("enforcementLevel"));
        }
        assert.ok(policies.some((p) => /report 002/i.test(p.description)));
        assert.ok(policies.some((p) => /report 001/i.test(p.description)));
        assert.ok(policies.some((p) => /report 003/i.test(p.description)));
    });

    it("ships config files that name only real policies and valid levels", () => {
        const names = new Set(policies.map((p) => p.name));
        for (const f of ["production.json", "dev.json"]) {
            const cfg = JSON.parse(fs.readFileSync(path.join(FIXTURES, "..", "..", "config", f), "utf8"));
            for (const [k, v] of Object.entries<any>(cfg)) {
                assert.ok(k === "all" || names.has(k), `${f}: unknown policy ${k}`);
                const level = typeof v === "string" ? v : v.enforcementLevel;
                assert.ok(["advisory", "mandatory", "remediate", "disabled"].includes(level), `${f}: ${k} level ${level}`);
                const schema = policies.find((p) => p.name === k)?.configSchema?.properties ?? {};
                for (const prop of Object.keys(typeof v === "object" ? v : {})) {
                    assert.ok(prop === "enforcementLevel" || prop in schema, `${f}: ${k}.${prop} is not in the policy's configSchema`);
                }
            }
        }
    });
});

describe("kilonode-no-public-ingress", () => {
    it("passes private CIDRs, egress to anywhere and public-listener: rules", async () => {
        assert.deepEqual(await validateResource(noPublicIngress, SG, "ok", {
            ingress: [
                { protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["10.0.0.0/16"] },
                { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "public-listener: https" },
            ],
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        }), []);
        assert.deepEqual(await validateResource(noPublicIngress, SG_RULE, "egress", {
            type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"],
        }), []);
        assert.deepEqual(await validateResource(noPublicIngress, INGRESS_RULE, "vpc", {
            ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "10.0.0.0/8",
        }), []);
    });

    it("reports 0.0.0.0/0 and ::/0 in all three rule forms", async () => {
        const inline = await validateResource(noPublicIngress, SG, "ssh", {
            ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"], description: "ssh" }],
        });
        assert.equal(inline.length, 1);
        assert.match(inline[0].message, /tcp 22 from 0\.0\.0\.0\/0/);
        assert.equal((await validateResource(noPublicIngress, INGRESS_RULE, "v6", {
            ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv6: "::/0", description: "not-a-listener: x",
        })).length, 1);
        assert.equal((await validateResource(noPublicIngress, SG_RULE, "rule", {
            type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"],
        })).length, 1);
    });
});

describe("kilonode-etcd-master-only", () => {
    it("passes the fixture (etcd ports open to the master group itself only)", async () => {
        assert.deepEqual(await validateStack(etcdMasterOnly, buildFixtureStack()), []);
    });

    it("reports etcd ports opened to a CIDR, to workers, or through a group shared with workers", async () => {
        const plan = buildFixtureStack();
        byName(plan, SG, "master-sg").inputs.ingress.push(
            { protocol: "tcp", fromPort: 2379, toPort: 2379, cidrBlocks: ["10.0.0.0/16"], description: "etcd from vpc" });
        plan.push({
            type: INGRESS_RULE, name: "etcd-from-workers", parent: null,
            inputs: { securityGroupId: "${master-sg.id}", referencedSecurityGroupId: "${worker-sg.id}", ipProtocol: "-1", tags: tags() },
        });
        const out = await validateStack(etcdMasterOnly, plan);
        assert.equal(out.length, 3, JSON.stringify(out, null, 1)); // the CIDR rule; all traffic from workers hits both ranges
        assert.ok(out.some((v) => /CIDR 10\.0\.0\.0\/16/.test(v.message)));
        assert.ok(out.some((v) => /security group worker-sg/.test(v.message) && /events etcd/.test(v.message)));

        const shared = buildFixtureStack();
        shared.push({
            type: SG, name: "cluster-sg", parent: null,
            inputs: { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }], tags: tags() },
        });
        byName(shared, INSTANCE, "master-0").inputs.vpcSecurityGroupIds.push("${cluster-sg.id}");
        byName(shared, LT, "worker").inputs.vpcSecurityGroupIds.push("${cluster-sg.id}");
        const out2 = await validateStack(etcdMasterOnly, shared);
        assert.ok(out2.length >= 1);
        assert.match(out2[0].message, /also attached to non-master machines/);
    });

    it("reports when the master security group cannot be identified", async () => {
        const plan = buildFixtureStack();
        byName(plan, INSTANCE, "master-0").inputs.vpcSecurityGroupIds = ["sg-unknown"];
        const out = await validateStack(etcdMasterOnly, plan);
        assert.equal(out.length, 1);
        assert.match(out[0].message, /Could not identify the master security group/);
    });
});

describe("kilonode-imdsv2-required", () => {
    it("passes instances and launch templates with httpTokens required", async () => {
        const mo = { metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" } };
        assert.deepEqual(await validateResource(imdsv2Required, INSTANCE, "i", mo), []);
        assert.deepEqual(await validateResource(imdsv2Required, LT, "lt", mo), []);
        assert.deepEqual(await validateResource(imdsv2Required, SG, "sg", {}), []);
    });

    it("reports optional or missing httpTokens", async () => {
        const out = await validateResource(imdsv2Required, INSTANCE, "i", { metadataOptions: { httpTokens: "optional" } });
        assert.equal(out.length, 1);
        assert.match(out[0].message, /expected metadataOptions.httpTokens = "required".*found "optional"/);
        assert.equal((await validateResource(imdsv2Required, LT, "lt", {})).length, 1);
    });
});

describe("kilonode-encrypted-root-volumes", () => {
    it("passes encrypted root volumes", async () => {
        assert.deepEqual(await validateResource(encryptedVolumes, INSTANCE, "i", { rootBlockDevice: { encrypted: true } }), []);
        assert.deepEqual(await validateResource(encryptedVolumes, LT, "lt", {
            blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "true" } }, { deviceName: "/dev/sdb", virtualName: "ephemeral0" }],
        }), []);
    });

    it("reports unencrypted or unspecified root volumes", async () => {
        assert.equal((await validateResource(encryptedVolumes, INSTANCE, "i", { rootBlockDevice: { encrypted: false } })).length, 1);
        assert.equal((await validateResource(encryptedVolumes, INSTANCE, "i", {})).length, 1);
        assert.equal((await validateResource(encryptedVolumes, LT, "lt", {
            blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "false" } }],
        })).length, 1);
        assert.equal((await validateResource(encryptedVolumes, LT, "lt", {})).length, 1);
    });
});

describe("kilonode-no-secrets-in-user-data", () => {
    it("passes the fixture's user-data (placeholder __BOOTSTRAP_TOKEN__, SSM lookups)", async () => {
        for (const e of buildFixtureStack().filter((x) => x.type === INSTANCE || x.type === LT)) {
            assert.deepEqual(await validateResource(noSecretsInUserData, e.type, e.name, e.inputs), [], e.name);
        }
    });

    it("reports a private key, a bootstrap token or a password, also inside encoded write_files", async () => {
        const worker = userDataText("worker");
        const withToken = worker.replace("token: __BOOTSTRAP_TOKEN__", "token: we70in.mvy0yu0hnxb6kxip");
        const out = await validateResource(noSecretsInUserData, LT, "w", { userData: encodeUserData(withToken) });
        assert.equal(out.length, 1);
        assert.match(out[0].message, /bootstrap token/);
        assert.doesNotMatch(out[0].message, /mvy0yu0hnxb6kxip/, "the message must not repeat the secret");

        const pem = `${worker}\nbootcmd:\n  - echo '-----BEGIN RSA PRIVATE KEY-----' > /etc/kubernetes/pki/ca.key\n`;
        assert.match((await validateResource(noSecretsInUserData, INSTANCE, "m", { userDataBase64: encodeUserData(pem) }))[0].message, /PEM private key/);

        const tf = userDataText("tf-controller").replace("JVM_EXTRA_OPTS", "KEYSTONE_AUTH_ADMIN_PASSWORD: contrail123\n        JVM_EXTRA_OPTS");
        assert.match((await validateResource(noSecretsInUserData, INSTANCE, "tf", { userDataBase64: encodeUserData(tf) }))[0].message,
            /KEYSTONE_AUTH_ADMIN_PASSWORD/);

        const b64 = Buffer.from("-----BEGIN PRIVATE KEY-----\nMIIE\n").toString("base64");
        const enc = `#cloud-config\nwrite_files:\n  - path: /etc/kubernetes/pki/sa.key\n    encoding: b64\n    content: ${b64}\n`;
        assert.equal((await validateResource(noSecretsInUserData, LT, "x", { userData: encodeUserData(enc) })).length, 1);
    });
});

describe("kilonode-etcd-backup-versioned", () => {
    it("passes the fixture (etcd on ephemeral0, versioned backup bucket)", async () => {
        assert.deepEqual(await validateStack(etcdBackupVersioned, buildFixtureStack()), []);
    });

    it("passes a master that keeps etcd on EBS without a bucket", async () => {
        const plan = buildFixtureStack().filter((e) => !e.type.startsWith("aws:s3/"));
        const m = byName(plan, INSTANCE, "master-0");
        delete m.inputs.ephemeralBlockDevices;
        mutateUserData(m, (t) => t.replace(/^mounts:\n(  - .*\n)+/m, "").replace(/ephemeral/g, "ebs-data")
            .replace(/instance-store SSD/g, "EBS volume"));
        assert.deepEqual(await validateStack(etcdBackupVersioned, plan), []);
    });

    it("reports a missing, suspended or unrelated versioned bucket", async () => {
        const none = buildFixtureStack().filter((e) => !e.type.startsWith("aws:s3/bucketVersioning"));
        const out = await validateStack(etcdBackupVersioned, none);
        assert.equal(out.length, 1);
        assert.match(out[0].message, /master-0 keeps etcd on instance store/);

        const suspended = buildFixtureStack();
        byName(suspended, "aws:s3/bucketVersioningV2:BucketVersioningV2", "etcd-backup-versioning")
            .inputs.versioningConfiguration.status = "Suspended";
        assert.equal((await validateStack(etcdBackupVersioned, suspended)).length, 1);

        const other = buildFixtureStack();
        byName(other, "aws:s3/bucketVersioningV2:BucketVersioningV2", "etcd-backup-versioning").inputs.bucket = "some-other-bucket";
        assert.match((await validateStack(etcdBackupVersioned, other))[0].message, /BACKUP_BUCKET=kilonode-fixture-etcd-backup/);
    });
});

describe("kilonode-master-count", () => {
    const withMasters = (n: number) => {
        const plan = buildFixtureStack();
        const m = byName(plan, INSTANCE, "master-0");
        plan.splice(plan.indexOf(m), 1);
        for (let i = 0; i < n; i++) {
            plan.push({ ...clone(m), name: `master-${i}` });
        }
        return plan;
    };

    it("passes 1 and 3 masters", async () => {
        assert.deepEqual(await validateStack(masterQuorum, withMasters(1)), []);
        assert.deepEqual(await validateStack(masterQuorum, withMasters(3)), []);
    });

    it("reports 0, 2 or 4 masters", async () => {
        for (const n of [0, 2, 4]) {
            const out = await validateStack(masterQuorum, withMasters(n));
            assert.equal(out.length, 1);
            assert.match(out[0].message, new RegExp(`Expected 1 or 3 masters.*found ${n}`));
        }
    });
});

describe("kilonode-protect-control-plane", () => {
    it("passes when production is false, or when the control plane is protected", async () => {
        const plan = buildFixtureStack();
        for (const e of plan) {
            delete e.protect;
        }
        assert.deepEqual(await validateStack(protectControlPlane, plan), []);
        assert.deepEqual(await validateStack(protectControlPlane, plan, { production: false }), []);
        assert.deepEqual(await validateStack(protectControlPlane, buildFixtureStack(), { production: true }), []);
    });

    it("reports unprotected masters, TF controllers and the etcd backup bucket in production", async () => {
        const plan = buildFixtureStack();
        delete byName(plan, INSTANCE, "master-0").protect;
        delete byName(plan, "aws:s3/bucketV2:BucketV2", "etcd-backup").protect;
        const out = await validateStack(protectControlPlane, plan, { production: true });
        assert.equal(out.length, 2);
        assert.ok(out.some((v) => /master-0 \(kilonode:role=master\)/.test(v.message) && v.urn?.endsWith("::master-0")));
        assert.ok(out.some((v) => /etcd-backup \(etcd backup bucket/.test(v.message)));
    });
});

describe("kilonode-control-plane-tuning", () => {
    it("passes the fixture (3 workers, tier 0 values)", async () => {
        assert.deepEqual(await validateStack(controlPlaneTuning, buildFixtureStack()), []);
    });

    it("passes 1,000 workers with the >=500 tier in a v1beta3 map", async () => {
        const plan = buildFixtureStack();
        byName(plan, ASG, "worker").inputs.maxSize = 1000;
        mutateWriteFileDocs(byName(plan, INSTANCE, "master-0"), KUBEADM_INIT_PATH, (docs) => {
            const cc = docs.find((d) => d.kind === "ClusterConfiguration");
            for (const d of docs) {
                d.apiVersion = d.apiVersion.replace("v1beta4", "v1beta3");
            }
            cc.apiServer.extraArgs = { "max-requests-inflight": "2000", "max-mutating-requests-inflight": "1000" };
            cc.etcd.local.extraArgs = { "quota-backend-bytes": "8589934592" };
        });
        mutateUserData(byName(plan, INSTANCE, "master-0"), (t) => t.replace("--quota-backend-bytes=2147483648", "--quota-backend-bytes=8589934592"));
        assert.deepEqual(await validateStack(controlPlaneTuning, plan), []);
    });

    it("reports 400 in-flight requests and a 2 GiB quota at 1,000 workers, saying what was expected and found", async () => {
        const plan = buildFixtureStack();
        byName(plan, ASG, "worker").inputs.maxSize = 1000;
        byName(plan, ASG, "worker").inputs.maxSize = 1000;
        const out = await validateStack(controlPlaneTuning, plan);
        const msgs = out.map((v) => v.message);
        assert.equal(out.length, 4, msgs.join("\n")); // 2 apiserver flags, etcd quota, events etcd quota
        assert.ok(msgs.some((m) => /max-requests-inflight: expected >= 2000 for 1000 workers.*found 400/.test(m)));
        assert.ok(msgs.some((m) => /max-mutating-requests-inflight: expected >= 1000.*found 200/.test(m)));
        assert.ok(msgs.some((m) => /quota-backend-bytes: expected >= 8589934592 \(8Gi\).*found 2147483648 \(2Gi\)/.test(m)));
        assert.ok(msgs.every((m) => /deliberate override/.test(m)));
        assert.ok(msgs.some((m) => /report 002/i.test(m)));
    });

    it("treats a missing flag as the kube-apiserver default", async () => {
        const plan = buildFixtureStack();
        byName(plan, ASG, "worker").inputs.desiredCapacity = 150;
        mutateWriteFileDocs(byName(plan, INSTANCE, "master-0"), KUBEADM_INIT_PATH, (docs) => {
            const cc = docs.find((d) => d.kind === "ClusterConfiguration");
            cc.apiServer.extraArgs = cc.apiServer.extraArgs.filter((a: any) => a.name !== "max-requests-inflight");
            setExtraArg(cc.apiServer, "max-mutating-requests-inflight", "400");
            setExtraArg(cc.etcd.local, "quota-backend-bytes", String(4 * 2 ** 30));
        });
        mutateUserData(byName(plan, INSTANCE, "master-0"), (t) => t.replace("--quota-backend-bytes=2147483648", "--quota-backend-bytes=4294967296"));
        const out = await validateStack(controlPlaneTuning, plan);
        assert.equal(out.length, 1, out.map((v) => v.message).join("\n"));
        assert.match(out[0].message, /max-requests-inflight: expected >= 800 for 150 workers.*found not set \(default 400\)/);
    });
});

describe("kilonode-kubelet-reservations", () => {
    it("passes the fixture's kubelet patch (exactly the minimums) and a percentage eviction on a known type", async () => {
        assert.deepEqual(await validateStack(kubeletReservations, buildFixtureStack()), []);
        const plan = buildFixtureStack();
        mutateWriteFileDocs(byName(plan, LT, "worker"), KUBELET_PATCH_PATH, (docs) => {
            docs[0].evictionHard["memory.available"] = "5%"; // 5% of m3.medium's 3.75 GiB = 192 MiB
            docs[0].kubeReserved = { cpu: "0.1", memory: "1Gi" };
        });
        assert.deepEqual(await validateStack(kubeletReservations, plan), []);
    });

    it("reports reservations below the minimums with expected and found values", async () => {
        const plan = buildFixtureStack();
        mutateWriteFileDocs(byName(plan, LT, "worker"), KUBELET_PATCH_PATH, (docs) => {
            docs[0].kubeReserved = { cpu: "50m", memory: "200Mi" };
            delete docs[0].systemReserved;
            docs[0].evictionHard = { "memory.available": "64Mi" };
        });
        const out = await validateStack(kubeletReservations, plan);
        assert.equal(out.length, 1);
        const m = out[0].message;
        assert.match(m, /kubeReserved.cpu: expected >= 100m, found "50m"/);
        assert.match(m, /kubeReserved.memory: expected >= 256Mi, found "200Mi"/);
        assert.match(m, /systemReserved.cpu: expected >= 50m, found not set/);
        assert.match(m, /evictionHard\["memory.available"\]: expected >= 100Mi, found "64Mi"/);
        assert.match(m, /report 003/i);
    });

    it("reports a worker launch template without the kubelet patch", async () => {
        const plan = buildFixtureStack();
        mutateUserData(byName(plan, LT, "worker"), (t) => t.replace(KUBELET_PATCH_PATH, "/etc/kilonode/elsewhere.yaml"));
        assert.match((await validateStack(kubeletReservations, plan))[0].message, /has no .*kubeletconfiguration\+merge.yaml/);
    });
});

describe("kilonode-required-tags", () => {
    it("passes tagged resources, ASG tag lists, provider defaultTags and untaggable types", async () => {
        assert.deepEqual(await validateResource(requiredTags, SG, "sg", { tags: tags() }), []);
        assert.deepEqual(await validateResource(requiredTags, ASG, "asg", {
            tags: Object.entries(tags()).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
        }), []);
        assert.deepEqual(await validateResource(requiredTags, SG, "sg", { tags: { Name: "x" } }, {
            provider: { type: "pulumi:providers:aws", name: "default", urn: "urn:p", props: { defaultTags: { tags: tags() } } },
        }), []);
        assert.deepEqual(await validateResource(requiredTags, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {}), []);
        assert.deepEqual(await validateResource(requiredTags, "kubernetes:apps/v1:Deployment", "d", {}), []);
    });

    it("reports a missing CostCenter, empty values and taggable resources without tags", async () => {
        const { CostCenter, ...rest } = tags();
        const out = await validateResource(requiredTags, SG, "sg", { tags: rest });
        assert.equal(out.length, 1);
        assert.match(out[0].message, /missing tag\(s\) CostCenter/);
        assert.match((await validateResource(requiredTags, INSTANCE, "i", { tags: { ...tags(), Owner: " " } }))[0].message, /Owner/);
        assert.match((await validateResource(requiredTags, "aws:ec2/vpc:Vpc", "v", {}))[0].message, /Environment, Owner, CostCenter/);
    });
});

describe("kilonode-max-workers", () => {
    it("passes within maxWorkers", async () => {
        assert.deepEqual(await validateStack(maxWorkers, buildFixtureStack()), []);
        assert.deepEqual(await validateStack(maxWorkers, buildFixtureStack(), { maxWorkers: 5 }), []);
    });

    it("reports desired count and maxSize caps above maxWorkers", async () => {
        const out = await validateStack(maxWorkers, buildFixtureStack(), { maxWorkers: 4 });
        assert.equal(out.length, 1);
        assert.match(out[0].message, /maxSize total <= 4 .*found 5/);
        assert.equal((await validateStack(maxWorkers, buildFixtureStack(), { maxWorkers: 2 })).length, 2);
    });
});

describe("kilonode-max-hourly-cost", () => {
    const cfg = (x: Record<string, any> = {}) => ({ pricesFile: FIXTURE_PRICES, ...x });

    it("passes under budget with every price known", async () => {
        // 2 x m3.xlarge + 5 x m3.medium (the worker ASG's maxSize: the paced scale-out grows desired capacity to it)
        // + NLB + NAT = 0.532 + 0.335 + 0.0225 + 0.045 = 0.9345 $/h
        assert.deepEqual(await validateStack(maxHourlyCost, buildFixtureStack(), cfg({ maxHourlyCostUsd: 0.94 })), []);
        assert.equal((await validateStack(maxHourlyCost, buildFixtureStack(), cfg({ maxHourlyCostUsd: 0.93 }))).length, 1);
    });

    it("reports an estimate over budget", async () => {
        const out = await validateStack(maxHourlyCost, buildFixtureStack(), cfg({ maxHourlyCostUsd: 0.5 }));
        assert.equal(out.length, 1);
        assert.match(out[0].message, /Estimated on-demand cost \$0\.93\/h in us-east-1 exceeds maxHourlyCostUsd \$0\.50/);
    });

    it("reports unknown prices instead of counting them as 0, and a missing prices file", async () => {
        const plan = buildFixtureStack();
        byName(plan, LT, "worker").inputs.instanceType = "m9.huge";
        byName(plan, ASG, "worker").inputs.maxSize = 1000;
        const out = await validateStack(maxHourlyCost, plan, cfg({ maxHourlyCostUsd: 1000 }));
        assert.equal(out.length, 1);
        assert.match(out[0].message, /no on-demand price .* for ASG worker \(m9\.huge\) x1000/);
        const missing = await validateStack(maxHourlyCost, buildFixtureStack(), { pricesFile: "/nonexistent/on-demand.json" });
        assert.match(missing[0].message, /could not be read/);
    });
});

describe("kilonode-no-latest-images", () => {
    const deployment = (image: string) => ({
        metadata: { name: "coredns" },
        spec: { template: { spec: { containers: [{ name: "c", image }] } } },
    });

    it("passes pinned images, and anything outside production", async () => {
        const prod = { config: { production: true } };
        assert.deepEqual(await validateResource(noLatestImages, "kubernetes:apps/v1:Deployment", "d", deployment("coredns/coredns:1.11.3"), prod), []);
        assert.deepEqual(await validateResource(noLatestImages, "kubernetes:apps/v1:DaemonSet", "d", deployment("x@sha256:abc"), prod), []);
        assert.deepEqual(await validateResource(noLatestImages, "kubernetes:apps/v1:Deployment", "d", deployment("nginx:latest")), []);
        const tf = byName(buildFixtureStack(), INSTANCE, "tf-controller-0");
        assert.deepEqual(await validateResource(noLatestImages, INSTANCE, tf.name, tf.inputs, prod), []);
    });

    it("reports latest or untagged images and a TF CONTRAIL_VERSION of latest in production", async () => {
        const prod = { config: { production: true } };
        assert.equal((await validateResource(noLatestImages, "kubernetes:apps/v1:Deployment", "d", deployment("nginx:latest"), prod)).length, 1);
        assert.match((await validateResource(noLatestImages, "kubernetes:apps/v1:DaemonSet", "d", deployment("nginx"), prod))[0].message, /no tag/);
        const group = { yaml: "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: vrouter}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: agent, image: 'opencontrailnightly/contrail-vrouter-agent:latest'}\n" };
        assert.match((await validateResource(noLatestImages, "kubernetes:yaml/v2:ConfigGroup", "cni", group, prod))[0].message, /DaemonSet vrouter/);
        const text = userDataText("tf-controller").replace('CONTRAIL_VERSION: "2011.L3"', "CONTRAIL_VERSION: latest");
        const out = await validateResource(noLatestImages, INSTANCE, "tf-controller-0", { userDataBase64: encodeUserData(text) }, prod);
        assert.equal(out.length, 1);
        assert.match(out[0].message, /CONTRAIL_VERSION is latest/);
    });
});
