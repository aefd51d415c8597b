// Entry point loaded by the Pulumi CLI (`pulumi preview --policy-pack policies`); package.json "main" points here.
// Constructing the PolicyPack starts the analyzer server, so tests import ./policies instead.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
    description: "kilonode guard rails: security, etcd reliability, 1,000-node control-plane tuning and cost.",
    enforcementLevel: "advisory",
    policies,
});
