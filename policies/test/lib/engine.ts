// The analyzer server of @pulumi/policy 1.21.0 itself (node_modules/@pulumi/policy/server.js), called in-process as
// the Pulumi CLI calls it over gRPC: an AnalyzeRequest per resource (analyze) and one AnalyzeStackRequest (analyzeStack)
// built from a plan. Tests use it as the oracle the offline harness must agree with. No gRPC server is started:
// makeAnalyzeRpcFun / makeAnalyzeStackRpcFun are the handlers the server registers.
import type { Policies } from "@pulumi/policy";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PlanElement, toPolicyResources } from "../../src/offline/harness";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const server = require("@pulumi/policy/server");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const apb = require("@pulumi/pulumi/proto/analyzer_pb");

export interface EngineDiagnostic {
    policy: string;
    urn: string;
    message: string;
    level: "advisory" | "mandatory" | "remediate" | "disabled";
    /** The resource the AnalyzeRequest was about (analyze only). */
    resourceUrn?: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

function options(protect: boolean, parent?: string) {
    const o = new apb.AnalyzerResourceOptions();
    o.setProtect(protect);
    if (parent) {
        o.setParent(parent);
    }
    return o;
}

function diagnosticsOf(resp: any, resourceUrn?: string): EngineDiagnostic[] {
    return resp.getDiagnosticsList().map((d: any) => ({
        policy: d.getPolicyname(),
        urn: d.getUrn(),
        message: d.getMessage(),
        level: LEVELS[d.getEnforcementlevel()],
        resourceUrn,
    }));
}

function call(fn: any, request: any): Promise<any> {
    return new Promise((resolve, reject) => fn({ request }, (err: any, resp: any) => (err ? reject(err) : resolve(resp))));
}

/** Runs the pack through server.js: analyze for every resource, then analyzeStack. Levels: the policies' own. */
export async function runThroughEngine(plan: PlanElement[], policies: Policies, stack = "engine"): Promise<EngineDiagnostic[]> {
    const resources = toPolicyResources(plan, stack);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const elementOf = new Map(plan.map((e, i) => [resources[i].urn, e]));
    const analyze = server.makeAnalyzeRpcFun("kilonode", "0.1.0", "advisory", policies);
    const analyzeStack = server.makeAnalyzeStackRpcFun("kilonode", "0.1.0", "advisory", policies);
    const aws = resources.find((r) => r.type === "pulumi:providers:aws");
    const providerOf = (type: string) => {
        if (!aws || !type.startsWith("aws:")) {
            return undefined;
        }
        const p = new apb.AnalyzerProviderResource();
        p.setType(aws.type);
        p.setName(aws.name);
        p.setUrn(aws.urn);
        p.setProperties(Struct.fromJavaScript(elementOf.get(aws.urn)!.inputs ?? {}));
        return p;
    };
    const out: EngineDiagnostic[] = [];
    for (const r of resources) {
        const e = elementOf.get(r.urn)!;
        const req = new apb.AnalyzeRequest();
        req.setType(r.type);
        req.setName(r.name);
        req.setUrn(r.urn);
        req.setProperties(Struct.fromJavaScript(e.inputs ?? {}));
        req.setOptions(options(e.protect === true, r.opts.parent));
        const provider = providerOf(r.type);
        if (provider) {
            req.setProvider(provider);
        }
        out.push(...diagnosticsOf(await call(analyze, req), r.urn));
    }
    const stackReq = new apb.AnalyzeStackRequest();
    stackReq.setResourcesList(resources.map((r) => {
        const e = elementOf.get(r.urn)!;
        const a = new apb.AnalyzerResource();
        a.setType(r.type);
        a.setName(r.name);
        a.setUrn(r.urn);
        a.setProperties(Struct.fromJavaScript(e.inputs ?? {}));
        a.setOptions(options(e.protect === true, r.opts.parent));
        if (r.opts.parent) {
            a.setParent(r.opts.parent);
        }
        const provider = providerOf(r.type);
        if (provider) {
            a.setProvider(provider);
        }
        const deps = new Set<string>();
        for (const [property, rs] of Object.entries(r.propertyDependencies)) {
            const pd = new apb.AnalyzerPropertyDependencies();
            pd.setUrnsList(rs.map((d) => d.urn));
            a.getPropertydependenciesMap().set(property, pd);
            rs.forEach((d) => deps.add(d.urn));
        }
        a.setDependenciesList([...deps].filter((u) => byUrn.has(u)));
        return a;
    }));
    out.push(...diagnosticsOf(await call(analyzeStack, stackReq)));
    return out;
}

/** The engine's "can't run during preview" diagnostics (advisory, whatever the policy's level). */
export function cantRunInPreview(d: EngineDiagnostic): boolean {
    return /^can't run policy '[^']+' from policy pack '[^']+' during preview: /.test(d.message);
}
