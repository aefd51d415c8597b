// All kilonode policies, importable without starting the policy server (tests, offline harness).
import type { Policies } from "@pulumi/policy";
import { costPolicies } from "./cost";
import { imagePolicies } from "./images";
import { reliabilityPolicies } from "./reliability";
import { scalePolicies } from "./scale";
import { securityPolicies } from "./security";

export const PACK_NAME = "kilonode";

export const policies: Policies = [
    ...securityPolicies,
    ...reliabilityPolicies,
    ...scalePolicies,
    ...costPolicies,
    ...imagePolicies,
];
