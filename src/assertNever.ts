/**
 * The default branch of an exhaustive `switch` over a closed union: a member added to the union and
 * not handled is a compile error here, and an impossible value at run time is a clear error.
 */
export function assertNever(value: never, what = "value"): never {
    throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
