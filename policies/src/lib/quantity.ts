// Kubernetes resource quantities ("100m", "256Mi", "1Gi", "1.5", "1e3", "128974848").
// Follows k8s.io/apimachinery/pkg/api/resource: binary suffixes Ki..Ei (powers of 1024),
// decimal suffixes n u m "" k M G T P E (powers of 1000) and decimal exponents (e/E).

const BINARY: Record<string, number> = {
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
    n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

const QUANTITY_RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Parses a quantity to a plain number (cores for cpu, bytes for memory). Returns undefined when invalid. */
export function parseQuantity(value: unknown): number | undefined {
    if (typeof value === "number") {
        return Number.isFinite(value) ? value : undefined;
    }
    if (typeof value !== "string") {
        return undefined;
    }
    const s = value.trim();
    const m = QUANTITY_RE.exec(s);
    if (!m) {
        return undefined;
    }
    const num = Number(m[1]);
    const suffix = m[2] ?? "";
    if (suffix in BINARY) {
        return num * BINARY[suffix];
    }
    if (suffix in DECIMAL) {
        return num * DECIMAL[suffix];
    }
    // exponent form: 1e3
    const exp = Number(suffix.slice(1));
    return num * 10 ** exp;
}

/** Parses "10%" -> 0.10; undefined when not a percentage. */
export function parsePercent(value: unknown): number | undefined {
    if (typeof value !== "string") {
        return undefined;
    }
    const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
    return m ? Number(m[1]) / 100 : undefined;
}

/** Human-readable rendering of a byte count (for messages). */
export function formatBytes(bytes: number): string {
    const units: [string, number][] = [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]];
    for (const [unit, size] of units) {
        if (bytes >= size && Number.isInteger(bytes / size)) {
            return `${bytes / size}${unit}`;
        }
    }
    for (const [unit, size] of units) {
        if (bytes >= size) {
            return `${(bytes / size).toFixed(2)}${unit}`;
        }
    }
    return `${bytes}`;
}

/** Human-readable rendering of CPU cores (for messages). */
export function formatCpu(cores: number): string {
    const milli = Math.round(cores * 1000);
    return milli % 1000 === 0 ? `${milli / 1000}` : `${milli}m`;
}
