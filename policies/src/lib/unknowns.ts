// Values that are unknown during `pulumi preview`, as @pulumi/policy 1.21.0 presents them to a policy.
//
// What the engine does (node_modules/@pulumi/policy, v1.21.0):
// - server.js builds every resource's `props` with deserialize.js deserializeProperties(struct, false): the engine's
//   unknowns arrive as one of seven sentinel strings (proxy.js unknownStringValue "04da6b54-...", one per type) and
//   are kept as plain strings; secrets are unwrapped to their value.
// - server.js then wraps the props in proxy.js unknownCheckingProxy: reading a property whose value is a sentinel
//   throws UnknownValueError("<type> value at .<path> can't be known during preview"), at any depth.
// - server.js catches UnknownValueError around each validateResource call and around each validateStack call and
//   turns it into one *advisory* diagnostic "can't run policy '<name>' from policy pack ... during preview: <msg>",
//   whatever the policy's level. Violations reported before the throw are kept. A stack policy that throws is
//   aborted as a whole: the resources after the first unknown are never looked at.
// So an unknown is never silently `undefined` in the engine - unless a policy swallows the error (a catch-all), or
// never reads the value (it tests `in`/Object.keys only, or resolves a reference it cannot see). The helpers here
// let a policy read without throwing where it has a sound answer anyway, and let a stack policy check every resource
// it can and still report the ones it could not decide (Deferred), instead of aborting at the first unknown.

// proxy.js is internal to @pulumi/policy (its .d.ts is empty): this is the module the analyzer server itself uses,
// so `instanceof UnknownValueError` here and in server.js test the same class.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const engineProxy: {
    unknownCheckingProxy<T>(o: T): T;
    UnknownValueError: new (sentinel: string, props: PropertyKey[]) => Error & { unknownTypeSentinel: string; props: PropertyKey[] };
    isSpecialProxy: string;
    getSpecialProxyTarget: string;
    unknownBooleanValue: string;
    unknownNumberValue: string;
    unknownStringValue: string;
    unknownArrayValue: string;
    unknownAssetValue: string;
    unknownArchiveValue: string;
    unknownObjectValue: string;
} = require("@pulumi/policy/proxy");

export type UnknownValueError = Error & { unknownTypeSentinel: string; props: PropertyKey[] };
export const UnknownValueError = engineProxy.UnknownValueError;
export const unknownCheckingProxy = engineProxy.unknownCheckingProxy;
export const IS_SPECIAL_PROXY = engineProxy.isSpecialProxy;
export const SPECIAL_PROXY_TARGET = engineProxy.getSpecialProxyTarget;

/** The sentinel the Java SDK sends for every unknown (pulumi-java Constants.UnknownValue). */
export const UNKNOWN = engineProxy.unknownStringValue;

export const UNKNOWN_SENTINELS: readonly string[] = [
    engineProxy.unknownBooleanValue, engineProxy.unknownNumberValue, engineProxy.unknownStringValue,
    engineProxy.unknownArrayValue, engineProxy.unknownAssetValue, engineProxy.unknownArchiveValue,
    engineProxy.unknownObjectValue,
];

export function isUnknown(v: unknown): boolean {
    return typeof v === "string" && UNKNOWN_SENTINELS.includes(v);
}

export function isUnknownValueError(e: unknown): e is UnknownValueError {
    return e instanceof engineProxy.UnknownValueError;
}

/** ".a.b.0" of an UnknownValueError, relative to the props it was read from. */
export function unknownPath(e: UnknownValueError): string {
    return e.props.map(String).join(".");
}

/** The object behind the engine's proxy (itself when it is not proxied). */
export function rawOf<T>(v: T): T {
    if (v instanceof Object) {
        const target = (v as any)[SPECIAL_PROXY_TARGET];
        if (target !== undefined && (v as any)[IS_SPECIAL_PROXY] === true) {
            return target;
        }
    }
    return v;
}

/** obj[key] without tripping the unknown check: the sentinel when unknown. Use only to decide what to do next. */
export function peek(obj: unknown, key: PropertyKey): unknown {
    const raw: any = rawOf(obj);
    return raw === undefined || raw === null ? undefined : raw[key];
}

/** Throws the engine's UnknownValueError for `path` (the same error reading it through the proxy would throw). */
export function throwUnknown(sentinel: string, path: PropertyKey[]): never {
    throw new UnknownValueError(sentinel, path);
}

export interface UndecidedCheck {
    /** The resource whose check could not be decided. */
    urn: string;
    name: string;
    /** What was unknown, as the engine words it ("string value at .userData can't be known during preview"). */
    cause: string;
}

/**
 * A stack policy's checks that depended on unknown values: an UnknownValueError (so the engine reports the policy
 * as "can't run during preview", advisory), listing every resource it could not decide.
 */
export class UndecidedChecks extends engineProxy.UnknownValueError {
    constructor(readonly checks: UndecidedCheck[], first: UnknownValueError) {
        super(first.unknownTypeSentinel, first.props);
        this.message = `not decidable before the values exist: ${checks.map((c) => `${c.name} (${c.cause})`).join("; ")}`;
    }
}

/**
 * Lets a stack policy check each resource on its own: a resource whose check reads an unknown is recorded as
 * undecided and the policy goes on with the next; finish() then throws one UndecidedChecks. The violations found on
 * the known resources are reported either way (the engine keeps violations reported before the throw).
 */
export class Deferred {
    private readonly undecided: UndecidedCheck[] = [];
    private first?: UnknownValueError;

    /** Runs fn for resource r; returns undefined when fn needed an unknown value. Other errors propagate. */
    check<T>(r: { urn: string; name: string }, fn: () => T): T | undefined {
        try {
            return fn();
        } catch (e) {
            if (!isUnknownValueError(e)) {
                throw e;
            }
            this.first ??= e;
            this.undecided.push({ urn: r.urn, name: r.name, cause: e.message });
            return undefined;
        }
    }

    get count(): number {
        return this.undecided.length;
    }

    has(r: { urn: string }): boolean {
        return this.undecided.some((u) => u.urn === r.urn);
    }

    finish(): void {
        if (this.first) {
            throw new UndecidedChecks(this.undecided, this.first);
        }
    }
}
