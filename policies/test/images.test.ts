// kilonode-images-from-stack-registry: passing and failing image references in workloads and user-data.
import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { imagesFromStackRegistry, parseImageRef } from "../src/images";
import { runPack, PlanElement } from "../src/offline/harness";
import { encodeUserData } from "../src/lib/userdata";
import { UNKNOWN } from "../src/lib/unknowns";
import { buildFixtureStack, clone, FIXTURE_ACCOUNT, ROOT, tags } from "./lib/fixture";
import { validateStack } from "./lib/run";

const ECR = `${FIXTURE_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const DIGEST = "sha256:" + "ab12".repeat(16);
const GOOD = `${ECR}/kilonode-fixture/opensdn-vrouter-agent@${DIGEST}`;

/** The fixture stack plus the vRouter's repository and a DaemonSet running `image` (and `init` as init container). */
function withDaemonSet(image: string, init = GOOD): PlanElement[] {
    const plan = clone(buildFixtureStack());
    plan.push({
        type: "aws:ecr/repository:Repository", name: "images-opensdn-vrouter-agent", parent: "kilonode-fixture",
        inputs: { name: "kilonode-fixture/opensdn-vrouter-agent", imageTagMutability: "IMMUTABLE", tags: tags() },
    });
    plan.push({
        type: "kubernetes:apps/v1:DaemonSet", name: "vrouter", parent: "kilonode-fixture",
        inputs: {
            apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "vrouter" },
            spec: { template: { spec: { initContainers: [{ name: "init", image: init }], containers: [{ name: "agent", image }] } } },
        },
    });
    return plan;
}

async function messagesFor(plan: PlanElement[]): Promise<string[]> {
    return (await validateStack(imagesFromStackRegistry, plan)).map((r) => r.message);
}

describe("kilonode-images-from-stack-registry", () => {
    it("parses references like the distribution reference grammar", () => {
        assert.deepEqual(parseImageRef("opensdn/opensdn-vrouter-agent:R25.1"),
            { raw: "opensdn/opensdn-vrouter-agent:R25.1", host: "docker.io", path: "opensdn/opensdn-vrouter-agent", tag: "R25.1", digest: undefined });
        assert.equal(parseImageRef("busybox").path, "library/busybox");
        assert.equal(parseImageRef("localhost:5000/x/y:1").host, "localhost:5000");
        assert.deepEqual(parseImageRef(GOOD).digest, DIGEST);
        assert.equal(parseImageRef(`${ECR}/kilonode-fixture/etcd:3.5@${DIGEST}`).tag, "3.5");
    });

    it("passes the fixture stack and a workload pinned by digest in the stack's registry", async () => {
        assert.deepEqual(await messagesFor(buildFixtureStack()), []);
        assert.deepEqual(await messagesFor(withDaemonSet(GOOD)), []);
    });

    const failing: [string, string, RegExp][] = [
        ["a Docker Hub reference", "opensdn/opensdn-vrouter-agent:R25.1",
            /container agent: opensdn\/opensdn-vrouter-agent:R25\.1 \(registry docker\.io is not the stack's ECR registry; not pinned by digest/],
        ["a tag-only reference in the stack's ECR", `${ECR}/kilonode-fixture/opensdn-vrouter-agent:R25.1`,
            /container agent: .*:R25\.1 \(not pinned by digest \(tag only\)\)/],
        ["another account's ECR", `444455556666.dkr.ecr.us-east-1.amazonaws.com/kilonode-fixture/opensdn-vrouter-agent@${DIGEST}`,
            /account 444455556666's registry, the stack's account is 111122223333/],
        ["another region's ECR", `${FIXTURE_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/kilonode-fixture/opensdn-vrouter-agent@${DIGEST}`,
            /ECR registry in eu-west-1, the stack is in us-east-1/],
        ["another stack's prefix", `${ECR}/kilonode-prod/opensdn-vrouter-agent@${DIGEST}`,
            /repository prefix kilonode-prod\/ is not the stack's \(kilonode-fixture\/\)/],
        ["a repository the stack does not have", `${ECR}/kilonode-fixture/nginx@${DIGEST}`, /no repository kilonode-fixture\/nginx in the stack/],
        ["a malformed digest", `${ECR}/kilonode-fixture/opensdn-vrouter-agent@sha256:abc`, /digest sha256:abc is not sha256:<64 hex>/],
    ];
    for (const [what, image, expected] of failing) {
        it(`reports ${what} in a workload container`, async () => {
            const ms = await messagesFor(withDaemonSet(image));
            assert.equal(ms.length, 1, ms.join("\n"));
            assert.match(ms[0], /^kubernetes:apps\/v1:DaemonSet vrouter: /);
            assert.match(ms[0], expected);
            assert.match(ms[0], new RegExp(`Expected ${FIXTURE_ACCOUNT}\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/kilonode-fixture/<repository>@sha256:<digest>`));
        });
    }

    it("checks init containers and server-side patches of workloads too", async () => {
        assert.match((await messagesFor(withDaemonSet(GOOD, "busybox:1.36")))[0], /initContainer init: busybox:1\.36 \(registry docker\.io/);
        const plan = buildFixtureStack();
        plan.push({
            type: "kubernetes:apps/v1:DeploymentPatch", name: "coredns", parent: "kilonode-fixture",
            inputs: { metadata: { name: "coredns", namespace: "kube-system" },
                spec: { template: { spec: { containers: [{ name: "coredns", image: "registry.k8s.io/coredns/coredns:v1.12.0" }] } } } },
        });
        assert.match((await messagesFor(plan))[0], /DeploymentPatch coredns: container coredns: registry\.k8s\.io\/coredns/);
    });

    it("reports images in user-data: static pods, *_IMAGE settings, containerd's sandbox_image, kubeadm's and the TF deployer's registry", async () => {
        const plan = clone(buildFixtureStack());
        const master = plan.find((e) => e.name === "master-0")!;
        const text = [
            "#cloud-config",
            "write_files:",
            "  - path: /etc/kilonode/kilonode.env",
            "    content: |",
            `      PAUSE_IMAGE=${ECR}/kilonode-fixture/pause@${DIGEST}`,
            "      ETCD_TOOLS_IMAGE=gcr.io/etcd-development/etcd:v3.5.21",
            "  - path: /etc/containerd/conf.d/sandbox.toml",
            "    content: |",
            "      [plugins.\"io.containerd.grpc.v1.cri\"]",
            "        sandbox_image = \"registry.k8s.io/pause:3.10\"",
            "  - path: /etc/kubernetes/manifests/etcd-events.yaml",
            "    content: |",
            "      apiVersion: v1",
            "      kind: Pod",
            "      metadata: {name: etcd-events}",
            `      spec: {containers: [{name: etcd, image: "${ECR}/kilonode-fixture/etcd:3.5.21-0"}]}`,
            "  - path: /etc/kilonode/kubeadm/init.yaml",
            "    content: |",
            "      apiVersion: kubeadm.k8s.io/v1beta4",
            "      kind: ClusterConfiguration",
            "      kubernetesVersion: v1.33.10",
            "  - path: /etc/kilonode/tf/instances.yaml",
            "    content: |",
            "      global_configuration: {CONTAINER_REGISTRY: opensdn}",
            "",
        ].join("\n");
        master.inputs.userDataBase64 = encodeUserData(text);
        const ms = await messagesFor(plan);
        assert.equal(ms.length, 1, ms.join("\n"));
        const m = ms[0];
        assert.doesNotMatch(m, /PAUSE_IMAGE/, "the mirrored pause image is fine");
        assert.match(m, /ETCD_TOOLS_IMAGE: gcr\.io\/etcd-development\/etcd:v3\.5\.21 \(registry gcr\.io is not the stack's ECR registry/);
        assert.match(m, /sandbox\.toml sandbox_image: registry\.k8s\.io\/pause:3\.10/);
        assert.match(m, /etcd-events\.yaml Pod etcd-events container etcd: .*etcd:3\.5\.21-0 \(not pinned by digest \(tag only\)\)/);
        assert.match(m, /init\.yaml ClusterConfiguration\.imageRepository: registry\.k8s\.io \(registry registry\.k8s\.io/,
            "no imageRepository means kubeadm's default registry.k8s.io");
        assert.match(m, /instances\.yaml global_configuration\.CONTAINER_REGISTRY: opensdn \(registry docker\.io/);
    });

    it("accepts kubeadm's imageRepository only at <registry>/<prefix> with immutable tags", async () => {
        const plan = clone(buildFixtureStack());
        assert.deepEqual(await messagesFor(plan), []);
        plan.find((e) => e.name === "images-etcd")!.inputs.imageTagMutability = "MUTABLE";
        assert.match((await messagesFor(plan))[0],
            /imageRepository: .*kilonode-fixture \(pulls by tag from repositories whose tags are mutable \(kilonode-fixture\/etcd\)/);
    });

    it("reads the provider's allowedAccountIds as the engine passes provider inputs (JSON text)", async () => {
        const plan = withDaemonSet(`444455556666.dkr.ecr.us-east-1.amazonaws.com/kilonode-fixture/opensdn-vrouter-agent@${DIGEST}`);
        plan.find((e) => e.type === "pulumi:providers:aws")!.inputs.allowedAccountIds = JSON.stringify([FIXTURE_ACCOUNT]);
        const ms = await messagesFor(plan);
        assert.equal(ms.length, 1);
        assert.match(ms[0], /account 444455556666's registry, the stack's account is 111122223333/);
        plan.find((e) => e.name === "vrouter")!.inputs.spec.template.spec.containers[0].image = GOOD;
        assert.deepEqual(await messagesFor(plan), []);
    });

    it("reports every ECR reference when the stack's account cannot be told", async () => {
        const plan = clone(buildFixtureStack());
        delete plan.find((e) => e.type === "pulumi:providers:aws")!.inputs.allowedAccountIds;
        assert.match((await messagesFor(plan))[0], /the stack's account is unknown/);
        // ...unless the repositories' outputs say where they are (analyzeStack after an update passes outputs).
        plan.filter((e) => e.type === "aws:ecr/repository:Repository")
            .forEach((e) => { e.inputs.repositoryUrl = `${ECR}/${e.inputs.name}`; });
        assert.deepEqual(await messagesFor(plan), []);
    });

    it("under unknowns (preview): an unknown image or registry is not checked, the known ones still are", async () => {
        const plan = withDaemonSet(UNKNOWN);
        plan.push({
            type: "kubernetes:apps/v1:Deployment", name: "hub", parent: "kilonode-fixture",
            inputs: { kind: "Deployment", spec: { template: { spec: { containers: [{ name: "c", image: "nginx:1.27" }] } } } },
        });
        const r = await runPack(plan, { policies: [imagesFromStackRegistry] });
        assert.deepEqual(r.notChecked.map((n) => `${n.name} ${n.property}`), ["vrouter .spec.template.spec.containers.0.image"]);
        assert.equal(r.violations.length, 1);
        assert.match(r.violations[0].message, /^kubernetes:apps\/v1:Deployment hub: container c: nginx:1\.27/);
        assert.deepEqual(r.decidedOnUnknown, []);
    });

    it("is mandatory in production.json and advisory in dev.json", () => {
        for (const [file, level] of [["production.json", "mandatory"], ["dev.json", "advisory"]]) {
            const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, "config", file), "utf8"));
            assert.equal(cfg["kilonode-images-from-stack-registry"], level, file);
        }
    });
});
