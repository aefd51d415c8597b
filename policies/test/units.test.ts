import { describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as zlib from "zlib";
import { parsePercent, parseQuantity } from "../src/lib/quantity";
import { decodeBase64UserData, decodeUserData, encodeUserData, parseCloudConfig, parseEnvFile } from "../src/lib/userdata";
import { extraArgsMap, tierFor } from "../src/scale";
import { findSecrets } from "../src/security";
import { unpinnedImage } from "../src/cost";
import { Resolver, tagsOf } from "../src/lib/resources";
import { effectiveLevel } from "../src/offline/harness";

describe("quantities", () => {
    it("parses cpu and memory quantities like Kubernetes", () => {
        assert.equal(parseQuantity("100m"), 0.1);
        assert.equal(parseQuantity("1"), 1);
        assert.equal(parseQuantity("1.5"), 1.5);
        assert.equal(parseQuantity("256Mi"), 256 * 2 ** 20);
        assert.equal(parseQuantity("1Gi"), 2 ** 30);
        assert.equal(parseQuantity("128M"), 128e6);
        assert.equal(parseQuantity("1e3"), 1000);
        assert.equal(parseQuantity("134217728"), 134217728);
        assert.equal(parseQuantity(2), 2);
        assert.equal(parseQuantity("12 Mi"), undefined);
        assert.equal(parseQuantity("abc"), undefined);
        assert.ok(parseQuantity("128Mi")! < parseQuantity("256Mi")!);
        assert.ok(parseQuantity("0.1")! >= parseQuantity("100m")!);
        assert.equal(parsePercent("10%"), 0.1);
        assert.equal(parsePercent("100Mi"), undefined);
    });
});

describe("user-data decoding", () => {
    it("decodes base64 of gzip, and plain base64", () => {
        const text = "#cloud-config\nruncmd: [echo hi]\n";
        assert.equal(decodeBase64UserData(encodeUserData(text)).text, text);
        assert.equal(decodeBase64UserData(Buffer.from(text).toString("base64")).text, text);
        const gz = zlib.gzipSync(Buffer.from(text)).toString("base64");
        assert.equal(decodeUserData("aws:ec2/launchTemplate:LaunchTemplate", { userData: gz })?.text, text);
        assert.equal(decodeUserData("aws:ec2/instance:Instance", { userDataBase64: gz })?.text, text);
        assert.equal(decodeUserData("aws:ec2/instance:Instance", { userData: text })?.text, text);
        assert.match(decodeUserData("aws:ec2/instance:Instance", { userDataBase64: "[secret]" })!.problem!, /secret/);
        assert.equal(decodeUserData("aws:ec2/vpc:Vpc", {}), undefined);
    });

    it("reads write_files, including encoded content, and env files", () => {
        const cc = parseCloudConfig([
            "#cloud-config",
            "write_files:",
            "  - path: /a",
            "    content: |",
            "      A=1",
            "      B='two words'",
            "  - path: /b",
            "    encoding: gz+b64",
            `    content: ${zlib.gzipSync(Buffer.from("hello")).toString("base64")}`,
        ].join("\n"));
        assert.ok(cc);
        assert.deepEqual(parseEnvFile(cc!.writeFiles[0].content), { A: "1", B: "two words" });
        assert.equal(cc!.writeFiles[1].content, "hello");
        assert.equal(parseCloudConfig("#!/bin/bash\necho"), undefined);
    });
});

describe("kubeadm extraArgs", () => {
    it("normalises v1beta3 maps and v1beta4 lists", () => {
        assert.deepEqual(extraArgsMap({ "max-requests-inflight": "2000", x: 1 }), { "max-requests-inflight": "2000", x: "1" });
        assert.deepEqual(extraArgsMap([{ name: "a", value: "1" }, { name: "a", value: "2" }, { name: "b", value: 3 }]), { a: "2", b: "3" });
        assert.deepEqual(extraArgsMap(undefined), {});
    });

    it("picks the contract's tier for a worker count", () => {
        assert.equal(tierFor(3).maxRequestsInflight, 400);
        assert.equal(tierFor(100).maxRequestsInflight, 800);
        assert.equal(tierFor(999).maxRequestsInflight, 2000);
        assert.equal(tierFor(1000).quotaBackendBytes, 8 * 2 ** 30);
        assert.equal(tierFor(2500).maxMutatingRequestsInflight, 1500);
    });
});

describe("secret detection", () => {
    it("finds keys, tokens and passwords but not placeholders", () => {
        assert.equal(findSecrets("-----BEGIN RSA PRIVATE KEY-----").length, 1);
        assert.equal(findSecrets("-----BEGIN PRIVATE KEY-----").length, 1);
        assert.equal(findSecrets("kubeadm join 1.2.3.4:6443 --token we70in.mvy0yu0hnxb6kxip").length, 1);
        assert.equal(findSecrets("KEYSTONE_AUTH_ADMIN_PASSWORD: contrail123").length, 1);
        assert.equal(findSecrets("export DB_PASSWORD=s3cr3t").length, 1);
        assert.equal(findSecrets("token: __BOOTSTRAP_TOKEN__").length, 0);
        assert.equal(findSecrets("TOKEN=$(aws ssm get-parameter --with-decryption --name /x/bootstrap-token)").length, 0);
        assert.equal(findSecrets("  password: \"[secret]\"").length, 0);
        // A value read from the environment at run time is not a literal secret (the TF controller's registry login).
        assert.equal(findSecrets('    CONTAINER_REGISTRY_USERNAME="AWS", CONTAINER_REGISTRY_PASSWORD=os.environ["ECR_TOKEN"])').length, 0);
        assert.equal(findSecrets("  token = os.getenv('TOKEN')").length, 0);
        assert.equal(findSecrets("    CONTAINER_REGISTRY_PASSWORD=hunter2").length, 1);
        assert.equal(findSecrets("ssh_private_key: /root/.ssh/id_rsa").length, 0);
        assert.equal(findSecrets("# the token: comes from SSM").length, 0);
        assert.equal(findSecrets("automountServiceAccountToken: false").length, 0);
        assert.equal(findSecrets("CA_CERT_HASH=sha256:13cf52534ab14ee1f4dc561de746e95bc7684f2a0355cb82eebdbd5b1e9f3634").length, 0);
        assert.equal(findSecrets("image: registry.k8s.io/etcd:3.5.15-0").length, 0);
        assert.equal(findSecrets("    - --initial-cluster-token=etcd-events-cluster").length, 0);
        assert.equal(findSecrets("    - --client-secret=abc123").length, 1);
    });
});

describe("image tags", () => {
    it("flags latest and untagged images only", () => {
        assert.ok(unpinnedImage("nginx"));
        assert.ok(unpinnedImage("nginx:latest"));
        assert.ok(unpinnedImage("registry:5000/tf/vrouter"));
        assert.ok(unpinnedImage("opencontrailnightly/contrail-vrouter-agent:latest"));
        assert.ok(unpinnedImage("tungstenfabric/contrail-vrouter-agent:R2011-latest"));
        assert.equal(unpinnedImage("tungstenfabric/contrail-vrouter-agent:R2011.L3"), undefined);
        assert.equal(unpinnedImage("example/latestgreatest:1.0"), undefined);
        assert.equal(unpinnedImage("registry:5000/tf/vrouter:2011.L3"), undefined);
        assert.equal(unpinnedImage("nginx@sha256:0123"), undefined);
    });
});

describe("resources", () => {
    it("reads tag maps and ASG tag lists", () => {
        assert.deepEqual(tagsOf({ tags: { A: "1" } }), { A: "1" });
        assert.deepEqual(tagsOf({ tags: [{ key: "A", value: "1", propagateAtLaunch: true }] }), { A: "1" });
        assert.equal(tagsOf({}), undefined);
    });

    it("resolves references by name, id or a mention of the logical name", () => {
        const sg = { type: "t", name: "master-sg", urn: "urn:x::master-sg", props: { id: "sg-123" } };
        const other = { type: "t", name: "sg", urn: "urn:x::sg", props: {} };
        const r = new Resolver([sg, other]);
        assert.equal(r.resolve("master-sg"), sg);
        assert.equal(r.resolve("sg-123"), sg);
        assert.equal(r.resolve("${master-sg.id}"), sg);
        assert.equal(r.resolve("urn:x::master-sg"), sg);
        assert.equal(r.resolve("${sg.id}"), other);
        assert.equal(r.resolve("${worker-sg.id}"), undefined);
    });
});

describe("enforcement levels", () => {
    it("resolve like the CLI: policy config > all > policy > pack default", () => {
        const p = { name: "p", enforcementLevel: "advisory" as const };
        assert.equal(effectiveLevel(p, undefined), "advisory");
        assert.equal(effectiveLevel(p, { all: "mandatory" }), "mandatory");
        assert.equal(effectiveLevel(p, { all: "mandatory", p: "disabled" }), "disabled");
        assert.equal(effectiveLevel(p, { p: { enforcementLevel: "mandatory", x: 1 } }), "mandatory");
        assert.equal(effectiveLevel({ name: "q" }, {}), "advisory");
    });
});
