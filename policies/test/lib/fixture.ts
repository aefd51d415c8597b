// A hand-written kilonode stack following /tmp/contract.md (a small dev-like stack: 1 TF controller, 1 master,
// a worker ASG of 3), with user-data from test/fixtures/stack/userdata/*.yaml encoded gzip+base64.
// `npm run fixtures` writes it to test/fixtures/stack/resources.json for the offline CLI.
import * as fs from "fs";
import * as path from "path";
import type { PlanElement } from "../../src/offline/harness";
import { packRoot } from "../../src/lib/pricing";
import { encodeUserData } from "../../src/lib/userdata";

export const ROOT = packRoot(__dirname);
export const FIXTURES = path.join(ROOT, "test", "fixtures");
export const FIXTURE_PRICES = path.join(FIXTURES, "pricing", "on-demand.json");

export function userDataText(role: string): string {
    return fs.readFileSync(path.join(FIXTURES, "stack", "userdata", `${role}.yaml`), "utf8");
}

const STACK = "fixture";
/** The fixture stack's AWS account (its ECR registry is FIXTURE_ACCOUNT.dkr.ecr.us-east-1.amazonaws.com). */
export const FIXTURE_ACCOUNT = "111122223333";

export function tags(role?: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
        Environment: "fixture",
        Owner: "platform-team",
        CostCenter: "cc-1234",
        "kilonode:stack": STACK,
        ...(role ? { "kilonode:role": role } : {}),
        ...extra,
    };
}

function asgTags(role: string) {
    return Object.entries(tags(role)).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
}

const IMDS = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 2 };

export function buildFixtureStack(): PlanElement[] {
    const el = (type: string, name: string, parent: string | null, inputs: Record<string, any>, protect?: boolean): PlanElement =>
        (protect === undefined ? { type, name, parent, inputs } : { type, name, parent, inputs, protect });
    const root = `kilonode-${STACK}`;
    const resources: PlanElement[] = [
        el("pulumi:pulumi:Stack", root, null, {}),
        el("pulumi:providers:aws", "default", root, { region: "us-east-1", allowedAccountIds: [FIXTURE_ACCOUNT] }),
        // The stack's image mirror (issue 12): kubeadm's imageRepository, the events etcd pod and the TF deployer
        // pull from these; tags immutable because kubeadm and the deployer pull by tag.
        ...["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns", "pause"]
            .map((repo) => el("aws:ecr/repository:Repository", `images-${repo}`, root, {
                name: `kilonode-${STACK}/${repo}`, imageTagMutability: "IMMUTABLE",
                imageScanningConfiguration: { scanOnPush: true }, tags: tags(),
            })),
        el("kilonode:network:Network", "network", root, {}),
        el("kilonode:cluster:ControlPlane", "control-plane", root, {}),
        el("kilonode:cluster:WorkerGroup", "worker", root, {}),
        el("kilonode:tf:Controllers", "tf", root, {}),
        el("aws:ec2/vpc:Vpc", "vpc", "network", { cidrBlock: "10.0.0.0/16", enableDnsHostnames: true, tags: tags() }),
        el("aws:ec2/subnet:Subnet", "private-a", "network",
            { vpcId: "${vpc.id}", cidrBlock: "10.0.0.0/18", availabilityZone: "us-east-1a", tags: tags() }),
        el("aws:ec2/subnet:Subnet", "public-a", "network",
            { vpcId: "${vpc.id}", cidrBlock: "10.0.192.0/24", availabilityZone: "us-east-1a", mapPublicIpOnLaunch: false, tags: tags() }),
        el("aws:ec2/internetGateway:InternetGateway", "igw", "network", { vpcId: "${vpc.id}", tags: tags() }),
        el("aws:ec2/eip:Eip", "nat-eip", "network", { domain: "vpc", tags: tags() }),
        el("aws:ec2/natGateway:NatGateway", "nat", "network", { allocationId: "${nat-eip.id}", subnetId: "${public-a.id}", tags: tags() }),
        el("aws:ec2/securityGroup:SecurityGroup", "master-sg", "control-plane", {
            vpcId: "${vpc.id}", description: "kilonode masters",
            ingress: [
                { protocol: "tcp", fromPort: 2379, toPort: 2380, self: true, description: "etcd between masters" },
                { protocol: "tcp", fromPort: 2382, toPort: 2383, self: true, description: "events etcd between masters" },
                { protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["10.0.0.0/16"], description: "kube-apiserver from the VPC" },
                { protocol: "tcp", fromPort: 10250, toPort: 10250, securityGroups: ["${worker-sg.id}"], description: "kubelet" },
            ],
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            tags: tags(),
        }),
        el("aws:ec2/securityGroup:SecurityGroup", "worker-sg", "worker", {
            vpcId: "${vpc.id}", description: "kilonode workers",
            ingress: [
                { protocol: "-1", fromPort: 0, toPort: 0, self: true, description: "vRouter overlay between workers" },
                { protocol: "tcp", fromPort: 10250, toPort: 10250, securityGroups: ["${master-sg.id}"], description: "kubelet from masters" },
            ],
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
            tags: tags(),
        }),
        el("aws:ec2/securityGroup:SecurityGroup", "tf-controller-sg", "tf", {
            vpcId: "${vpc.id}", description: "Tungsten Fabric controllers",
            ingress: [{ protocol: "tcp", fromPort: 8082, toPort: 8082, cidrBlocks: ["10.0.0.0/16"], description: "config API" }],
            tags: tags(),
        }),
        el("aws:ec2/securityGroup:SecurityGroup", "api-lb-sg", "control-plane", {
            vpcId: "${vpc.id}", description: "API load balancer",
            ingress: [{
                protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["0.0.0.0/0"],
                description: "public-listener: kube-apiserver (kilonode:apiPublic=true)",
            }],
            tags: tags(),
        }),
        el("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "master-api-from-workers", "control-plane", {
            securityGroupId: "${master-sg.id}", referencedSecurityGroupId: "${worker-sg.id}",
            ipProtocol: "tcp", fromPort: 6443, toPort: 6443, description: "kube-apiserver from workers", tags: tags(),
        }),
        el("aws:ec2/securityGroupRule:SecurityGroupRule", "master-etcd-self", "control-plane", {
            type: "ingress", securityGroupId: "${master-sg.id}", self: true,
            protocol: "tcp", fromPort: 2379, toPort: 2380, description: "etcd between masters (rule form)",
        }),
        el("aws:iam/role:Role", "node-role", "control-plane", {
            assumeRolePolicy: "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}",
            tags: tags(),
        }),
        el("aws:iam/instanceProfile:InstanceProfile", "node-profile", "control-plane", { role: "${node-role.name}", tags: tags() }),
        el("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "node-ssm", "control-plane",
            { role: "${node-role.name}", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }),
        el("aws:ssm/parameter:Parameter", "bootstrap-token", "control-plane",
            { name: "/kilonode/fixture/bootstrap-token", type: "SecureString", value: "[secret]", tags: tags() }),
        el("aws:s3/bucketV2:BucketV2", "etcd-backup", "control-plane",
            { bucket: "kilonode-fixture-etcd-backup", forceDestroy: false, tags: tags() }, true),
        el("aws:s3/bucketVersioningV2:BucketVersioningV2", "etcd-backup-versioning", "control-plane",
            { bucket: "${etcd-backup.id}", versioningConfiguration: { status: "Enabled" } }),
        el("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "etcd-backup-private", "control-plane",
            { bucket: "${etcd-backup.id}", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
        el("aws:ec2/instance:Instance", "tf-controller-0", "tf", {
            ami: "ami-0fixturefocal", instanceType: "m3.xlarge", subnetId: "${private-a.id}", privateIp: "10.0.1.20",
            vpcSecurityGroupIds: ["${tf-controller-sg.id}"], iamInstanceProfile: "${node-profile.name}",
            metadataOptions: IMDS, rootBlockDevice: { volumeSize: 50, volumeType: "gp3", encrypted: true },
            userDataBase64: encodeUserData(userDataText("tf-controller")), tags: tags("tf-controller"),
        }, true),
        el("aws:ec2/instance:Instance", "master-0", "control-plane", {
            ami: "ami-0fixturefocal", instanceType: "m3.xlarge", subnetId: "${private-a.id}", privateIp: "10.0.1.10",
            vpcSecurityGroupIds: ["${master-sg.id}"], iamInstanceProfile: "${node-profile.name}",
            metadataOptions: IMDS, rootBlockDevice: { volumeSize: 50, volumeType: "gp3", encrypted: true },
            ephemeralBlockDevices: [
                { deviceName: "/dev/sdb", virtualName: "ephemeral0" },
                { deviceName: "/dev/sdc", virtualName: "ephemeral1" },
            ],
            userDataBase64: encodeUserData(userDataText("master")), tags: tags("master"),
        }, true),
        el("aws:lb/loadBalancer:LoadBalancer", "api", "control-plane", {
            loadBalancerType: "network", internal: false, subnets: ["${public-a.id}"], securityGroups: ["${api-lb-sg.id}"], tags: tags(),
        }),
        el("aws:lb/targetGroup:TargetGroup", "api", "control-plane",
            { port: 6443, protocol: "TCP", vpcId: "${vpc.id}", targetType: "ip", tags: tags() }),
        el("aws:lb/listener:Listener", "api", "control-plane", {
            loadBalancerArn: "${api.arn}", port: 6443, protocol: "TCP",
            defaultActions: [{ type: "forward", targetGroupArn: "${api.arn}" }], tags: tags(),
        }),
        el("aws:ec2/launchTemplate:LaunchTemplate", "worker", "worker", {
            namePrefix: "kilonode-fixture-worker-", imageId: "ami-0fixturefocal", instanceType: "m3.medium",
            vpcSecurityGroupIds: ["${worker-sg.id}"], iamInstanceProfile: { name: "${node-profile.name}" },
            metadataOptions: IMDS,
            blockDeviceMappings: [
                { deviceName: "/dev/sda1", ebs: { volumeSize: 30, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
                { deviceName: "/dev/sdb", virtualName: "ephemeral0" },
            ],
            userData: encodeUserData(userDataText("worker")),
            tagSpecifications: [{ resourceType: "instance", tags: tags("worker") }],
            tags: tags("worker"),
        }),
        el("aws:autoscaling/group:Group", "worker", "worker", {
            desiredCapacity: 3, minSize: 3, maxSize: 5, vpcZoneIdentifiers: ["${private-a.id}"],
            launchTemplate: { id: "${worker.id}", version: "$Latest" },
            tags: asgTags("worker"),
        }),
        el("aws:autoscaling/lifecycleHook:LifecycleHook", "worker-join", "worker", {
            autoscalingGroupName: "${worker.name}", lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
            defaultResult: "ABANDON", heartbeatTimeout: 900,
        }),
    ];
    return resources.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type < b.type ? -1 : 1));
}

/** Deep copy, so a test can mutate a plan without touching the original. */
export function clone<T>(x: T): T {
    return JSON.parse(JSON.stringify(x));
}

if (require.main === module) {
    const out = path.join(FIXTURES, "stack", "resources.json");
    fs.writeFileSync(out, JSON.stringify(buildFixtureStack(), null, 2) + "\n");
    console.log(`wrote ${out}`);
}
