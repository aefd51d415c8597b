// Test helpers: call one policy's validateResource / validateStack with the argument shapes @pulumi/policy passes,
// collecting reportViolation calls.
import type {
    ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import * as yaml from "js-yaml";
import { PlanElement, toPolicyResources } from "../../src/offline/harness";
import { decodeUserData, encodeUserData, INSTANCE, parseCloudConfig } from "../../src/lib/userdata";

export interface Reported {
    message: string;
    urn?: string;
}

export interface ArgOptions {
    config?: Record<string, any>;
    protect?: boolean;
    provider?: { type: string; props: Record<string, any>; urn: string; name: string };
}

/** Builds ResourceValidationArgs the way the analyzer server does. */
export function resourceArgs(type: string, name: string, props: Record<string, any>, o: ArgOptions = {}): ResourceValidationArgs {
    const [r] = toPolicyResources([{ type, name, parent: null, inputs: props, protect: o.protect }], "test");
    return {
        type: r.type, props: r.props, urn: r.urn, name: r.name, opts: r.opts, provider: o.provider,
        stackTags: new Map(), isType: r.isType, asType: r.asType as any,
        getConfig: <T extends object>() => ({ ...(o.config ?? {}) }) as T,
        notApplicable: (reason?: string): never => { throw new Error(`notApplicable: ${reason}`); },
    };
}

export async function validateResource(policy: ResourceValidationPolicy, type: string, name: string,
                                       props: Record<string, any>, o: ArgOptions = {}): Promise<Reported[]> {
    const out: Reported[] = [];
    const fns = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    const args = resourceArgs(type, name, props, o);
    for (const fn of fns) {
        await fn(args, (message, urn) => out.push({ message, urn }));
    }
    return out;
}

export function stackArgs(plan: PlanElement[], config: Record<string, any> = {}): StackValidationArgs {
    return {
        resources: toPolicyResources(plan, "test"),
        stackTags: new Map(),
        getConfig: <T extends object>() => ({ ...config }) as T,
        notApplicable: (reason?: string): never => { throw new Error(`notApplicable: ${reason}`); },
    };
}

export async function validateStack(policy: StackValidationPolicy, plan: PlanElement[],
                                    config: Record<string, any> = {}): Promise<Reported[]> {
    const out: Reported[] = [];
    await policy.validateStack(stackArgs(plan, config), (message, urn) => out.push({ message, urn }));
    return out;
}

// --- mutations -------------------------------------------------------------------------------------------------

export function find(plan: PlanElement[], pred: (e: PlanElement) => boolean, what: string): PlanElement {
    const e = plan.find(pred);
    if (!e) {
        throw new Error(`plan has no ${what}`);
    }
    return e;
}

function userDataKey(e: PlanElement): string {
    return e.type === INSTANCE ? "userDataBase64" : "userData";
}

/** Rewrites a machine's decoded user-data text and re-encodes it (gzip + base64). */
export function mutateUserData(e: PlanElement, fn: (text: string) => string): void {
    const decoded = decodeUserData(e.type, e.inputs);
    if (decoded?.text === undefined) {
        throw new Error(`${e.name}: user-data not decodable (${decoded?.problem})`);
    }
    e.inputs[userDataKey(e)] = encodeUserData(fn(decoded.text));
}

/** Rewrites the YAML documents of one write_files entry of a machine's cloud-config. */
export function mutateWriteFileDocs(e: PlanElement, path: string, fn: (docs: any[]) => void): void {
    mutateUserData(e, (text) => {
        const cc = parseCloudConfig(text);
        const wf = (cc?.doc.write_files ?? []).find((f: any) => f.path === path);
        if (!cc || !wf) {
            throw new Error(`${e.name}: no write_files entry ${path}`);
        }
        if (wf.encoding) {
            throw new Error(`${e.name}: ${path} is encoded (${wf.encoding}); the mutation helper expects plain content`);
        }
        const docs = yaml.loadAll(String(wf.content)).filter((d) => d !== undefined && d !== null);
        fn(docs);
        wf.content = docs.map((d) => yaml.dump(d, { lineWidth: -1 })).join("---\n");
        return "#cloud-config\n" + yaml.dump(cc.doc, { lineWidth: -1 });
    });
}

/** Sets an apiServer/etcd extraArgs value in a ClusterConfiguration, v1beta3 map or v1beta4 list alike. */
export function setExtraArg(extraArgsOwner: any, name: string, value: string): void {
    const ea = extraArgsOwner.extraArgs;
    if (Array.isArray(ea)) {
        const hit = ea.filter((a: any) => a.name === name);
        if (hit.length === 0) {
            ea.push({ name, value });
        }
        hit.forEach((a: any) => { a.value = value; });
    } else {
        extraArgsOwner.extraArgs = { ...(ea ?? {}), [name]: value };
    }
}
