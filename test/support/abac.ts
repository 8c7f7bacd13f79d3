// Azure ABAC conditions, evaluated: the subset the platform's role assignments use (ActionMatches,
// the ACR repository name with StringStartsWithIgnoreCase or StringEqualsIgnoreCase, !, AND, OR,
// parentheses), so a test can play another team's request against a registered condition. Anything
// else in a condition is an error, never a silent true.
import assert from "node:assert/strict";

/** One data-plane request: its action and the repository it names. */
export interface AbacRequest {
    readonly action: string;
    readonly repository: string;
}

const REPOSITORY = "@Request[Microsoft.ContainerRegistry/registries/repositories:name]";
const TOKENS = new RegExp(
    [
        String.raw`ActionMatches\{'[^']*'\}`,
        String.raw`@Request\[[^\]]+\]`,
        "StringStartsWithIgnoreCase",
        "StringEqualsIgnoreCase",
        "'[^']*'",
        "AND",
        "OR",
        "[()!]",
        String.raw`\S+`,
    ].join("|"),
    "g",
);

/** Whether the condition allows the request; no condition allows everything the role allows. */
export function evaluateCondition(condition: string | undefined, request: AbacRequest): boolean {
    if (condition === undefined) return true;
    const tokens = condition.match(TOKENS) ?? [];
    let i = 0;
    const peek = () => tokens[i];
    const next = () => tokens[i++];
    const or = (): boolean => {
        let value = and();
        while (peek() === "OR") {
            next();
            value = and() || value;
        }
        return value;
    };
    const and = (): boolean => {
        let value = unary();
        while (peek() === "AND") {
            next();
            value = unary() && value;
        }
        return value;
    };
    const unary = (): boolean => {
        const t = next();
        if (t === "!") return !unary();
        if (t === "(") {
            const value = or();
            assert.equal(next(), ")", `unbalanced parenthesis in ${condition}`);
            return value;
        }
        if (t?.startsWith("ActionMatches{")) return t.slice("ActionMatches{'".length, -2) === request.action;
        assert.equal(t, REPOSITORY, `unsupported term '${t}' in ${condition}`);
        const operator = next();
        const literal = next();
        assert.ok(literal?.startsWith("'"), `a string literal after ${operator} in ${condition}`);
        const [name, value] = [request.repository.toLowerCase(), literal.slice(1, -1).toLowerCase()];
        if (operator === "StringStartsWithIgnoreCase") return name.startsWith(value);
        assert.equal(operator, "StringEqualsIgnoreCase", `unsupported operator in ${condition}`);
        return name === value;
    };
    const result = or();
    assert.equal(i, tokens.length, `unparsed rest of ${condition}: ${tokens.slice(i).join(" ")}`);
    return result;
}
