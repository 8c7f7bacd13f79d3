// Kubernetes resource quantities (`500m`, `4`, `512Mi`), as far as the platform compares and sums them.

const SUFFIXES: Record<string, number> = {
    "": 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
};

/** The subset of Kubernetes' quantity grammar the config accepts: a decimal number and one suffix. */
export function isQuantity(value: string): boolean {
    return /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.test(value);
}

/** A quantity as a number (cores or bytes), for comparisons. */
export function quantity(value: string): number {
    const match = /^([0-9.]+)([A-Za-z]*)$/.exec(value)!;
    return Number(match[1]) * SUFFIXES[match[2]];
}

/**
 * `count` times a quantity, written exactly: whole cores or millicores for CPU (`15`, `1500m`),
 * the largest binary or decimal unit that divides a byte count (`15Gi`, `3840Mi`).
 */
export function times(value: string, count: number): string {
    const milli = Math.round(quantity(value) * count * 1000);
    if (milli % 1000 !== 0) return `${milli}m`;
    const whole = milli / 1000;
    const unit = ["Ti", "Gi", "Mi", "T", "G", "M", "Ki", "k"].find(
        (suffix) => whole >= SUFFIXES[suffix] && whole % SUFFIXES[suffix] === 0,
    );
    return unit ? `${whole / SUFFIXES[unit]}${unit}` : `${whole}`;
}
