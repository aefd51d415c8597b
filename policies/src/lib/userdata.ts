// User-data decoding per the kilonode contract: a single #cloud-config document, gzip-compressed, then base64.
// aws:ec2/instance:Instance carries it in `userDataBase64` (plain text would be `userData`);
// aws:ec2/launchTemplate:LaunchTemplate carries base64 in `userData`.
import * as zlib from "zlib";
import * as yaml from "js-yaml";

export const INSTANCE = "aws:ec2/instance:Instance";
export const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

/** The literal that the offline plan writes for secret values. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface DecodedUserData {
    /** Which input the text came from. */
    source: string;
    /** Decoded UTF-8 text, when decodable. */
    text?: string;
    /** Why the text could not be decoded (secret, not base64, bad gzip...). */
    problem?: string;
}

const BASE64_RE = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** base64 -> (gunzip when the bytes start with 0x1f 0x8b) -> UTF-8. */
export function decodeBase64UserData(value: string): { text?: string; problem?: string } {
    const trimmed = value.trim();
    if (!BASE64_RE.test(trimmed)) {
        return { problem: "value is not base64" };
    }
    let bytes = Buffer.from(trimmed, "base64");
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
        try {
            bytes = zlib.gunzipSync(bytes);
        } catch (e) {
            return { problem: `gzip data is corrupt: ${(e as Error).message}` };
        }
    }
    return { text: bytes.toString("utf8") };
}

/** Encodes text the way the contract says nodes receive it: gzip, then base64. */
export function encodeUserData(text: string): string {
    return zlib.gzipSync(Buffer.from(text, "utf8")).toString("base64");
}

/**
 * Returns the decoded user-data of an Instance or LaunchTemplate, or undefined when the resource has none.
 */
export function decodeUserData(type: string, props: Record<string, any>): DecodedUserData | undefined {
    const candidates: [string, boolean][] = [];
    if (type === INSTANCE) {
        candidates.push(["userDataBase64", true], ["userData", false]);
    } else if (type === LAUNCH_TEMPLATE) {
        candidates.push(["userData", true]);
    } else {
        return undefined;
    }
    for (const [key, isBase64] of candidates) {
        const value = props[key];
        if (value === undefined || value === null || value === "") {
            continue;
        }
        if (typeof value !== "string") {
            return { source: key, problem: `${key} is not a string` };
        }
        if (value === SECRET_PLACEHOLDER) {
            return { source: key, problem: `${key} is a secret (cannot be inspected)` };
        }
        if (!isBase64) {
            return { source: key, text: value };
        }
        // Tolerate plain text where base64 is expected (it is what a human would have meant).
        if (/^\s*(#cloud-config|#!|Content-Type:)/.test(value)) {
            return { source: key, text: value };
        }
        const r = decodeBase64UserData(value);
        return { source: key, ...r };
    }
    return undefined;
}

export interface WriteFile {
    path: string;
    content: string;
    permissions?: string;
    owner?: string;
    /** cloud-init encoding of the original content (b64, gz+b64...), when it had one. */
    encoding?: string;
}

export interface CloudConfig {
    doc: Record<string, any>;
    writeFiles: WriteFile[];
}

/** Parses #cloud-config text. Returns undefined when the text is not a cloud-config YAML mapping. */
export function parseCloudConfig(text: string): CloudConfig | undefined {
    if (!/^\s*#cloud-config/.test(text)) {
        return undefined;
    }
    let doc: unknown;
    try {
        doc = yaml.load(text);
    } catch {
        return undefined;
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
        return undefined;
    }
    const d = doc as Record<string, any>;
    const writeFiles: WriteFile[] = [];
    for (const wf of Array.isArray(d.write_files) ? d.write_files : []) {
        if (!wf || typeof wf.path !== "string") {
            continue;
        }
        writeFiles.push({
            path: wf.path,
            content: decodeWriteFileContent(wf.content, wf.encoding),
            permissions: wf.permissions,
            owner: wf.owner,
            encoding: typeof wf.encoding === "string" ? wf.encoding : undefined,
        });
    }
    return { doc: d, writeFiles };
}

/** cloud-init write_files encodings: b64/base64, gz/gzip, gz+b64/gzip+base64; anything else is plain text. */
function decodeWriteFileContent(content: unknown, encoding: unknown): string {
    if (content === undefined || content === null) {
        return "";
    }
    const text = String(content);
    const enc = typeof encoding === "string" ? encoding.toLowerCase() : "";
    try {
        if (enc === "b64" || enc === "base64") {
            return Buffer.from(text, "base64").toString("utf8");
        }
        if (enc === "gz+b64" || enc === "gzip+base64" || enc === "gz+base64" || enc === "gzip+b64") {
            return zlib.gunzipSync(Buffer.from(text, "base64")).toString("utf8");
        }
    } catch {
        return text;
    }
    return text;
}

export function findWriteFile(cc: CloudConfig | undefined, path: string): WriteFile | undefined {
    return cc?.writeFiles.find((f) => f.path === path);
}

/** Parses shell KEY=value lines (as in /etc/kilonode/kilonode.env). */
export function parseEnvFile(text: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim().replace(/^export\s+/, "");
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (!m) {
            continue;
        }
        let v = m[2].trim();
        if ((v.startsWith("\"") && v.endsWith("\"")) || (v.startsWith("'") && v.endsWith("'"))) {
            v = v.slice(1, -1);
        }
        env[m[1]] = v;
    }
    return env;
}

/** Loads every YAML document of a multi-document text; undefined entries are dropped. Throws on bad YAML. */
export function loadYamlDocs(text: string): any[] {
    return yaml.loadAll(text).filter((d) => d !== undefined && d !== null);
}

/** Everything a policy wants to know about one machine's user-data, computed once. */
export interface MachineUserData {
    decoded?: DecodedUserData;
    cloudConfig?: CloudConfig;
    env: Record<string, string>;
}

export const ENV_PATH = "/etc/kilonode/kilonode.env";
export const KUBEADM_INIT_PATH = "/etc/kilonode/kubeadm/init.yaml";
export const KUBELET_PATCH_PATH = "/etc/kilonode/kubeadm/patches/kubeletconfiguration+merge.yaml";
export const ETCD_EVENTS_MANIFEST_PATH = "/etc/kubernetes/manifests/etcd-events.yaml";
export const TF_INSTANCES_PATH = "/etc/kilonode/tf/instances.yaml";

export function machineUserData(type: string, props: Record<string, any>): MachineUserData {
    const decoded = decodeUserData(type, props);
    const cloudConfig = decoded?.text !== undefined ? parseCloudConfig(decoded.text) : undefined;
    const envFile = findWriteFile(cloudConfig, ENV_PATH);
    return { decoded, cloudConfig, env: envFile ? parseEnvFile(envFile.content) : {} };
}
