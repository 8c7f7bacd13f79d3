// The command lines of the tooling (`npm run plan`, `validate`, `team`): options declared once, with
// their help; anything else is an error naming what exists, as git and pulumi answer a typo.
import { closest } from "../../src/config/suggest";

/** One option of a command: `--name <value>` (or a flag without `value`). */
export interface OptionSpec {
    readonly name: string;
    readonly alias?: string;
    /** What the value is, for the usage line (`<git-ref>`); none for a flag. */
    readonly value?: string;
    readonly description: string;
}

/** A mistake on the command line: printed alone (no stack trace), with exit code 1. */
export class UsageError extends Error {
    override readonly name = "UsageError";
}

export interface CommandLine {
    /** Option values by name (without `--`); `true` for a flag given. */
    readonly options: Readonly<Record<string, string | true>>;
    readonly positionals: readonly string[];
}

/** `--name value`, `--name=value`, `-a value`; `-h`/`--help` always; every other dash word is an error. */
export function parseCommandLine(argv: readonly string[], specs: readonly OptionSpec[]): CommandLine {
    const all = [...specs, HELP];
    const options: Record<string, string | true> = {};
    const positionals: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const word = argv[i];
        if (!word.startsWith("-") || word === "-") {
            positionals.push(word);
            continue;
        }
        const [flag, inline] = word.includes("=")
            ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]
            : [word, undefined];
        const spec = all.find((s) => `--${s.name}` === flag || (s.alias && `-${s.alias}` === flag));
        if (!spec) throw new UsageError(unknownOption(flag, all));
        if (!spec.value) {
            if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value (got ${word})`);
            options[spec.name] = true;
            continue;
        }
        const value = inline ?? argv[i + 1];
        if (inline === undefined) i++;
        if (value === undefined || value === "" || (inline === undefined && value.startsWith("-")))
            throw new UsageError(`--${spec.name} needs a value: --${spec.name} ${spec.value}`);
        options[spec.name] = value;
    }
    return { options, positionals };
}

const HELP: OptionSpec = { name: "help", alias: "h", description: "print this help and exit" };

function unknownOption(flag: string, specs: readonly OptionSpec[]): string {
    const names = specs.flatMap((s) => [`--${s.name}`, ...(s.alias ? [`-${s.alias}`] : [])]);
    const near = closest(flag, names);
    return `unknown option ${flag}${near ? `; did you mean ${near}?` : "."} Options: ${specs.map((s) => `--${s.name}`).join(", ")}`;
}

/** The options block of a usage text, one line each. */
export function optionsHelp(specs: readonly OptionSpec[]): string {
    const rows = [...specs, HELP].map((s) => [
        `${s.alias ? `-${s.alias}, ` : "    "}--${s.name}${s.value ? ` ${s.value}` : ""}`,
        s.description,
    ]);
    const width = Math.max(...rows.map(([left]) => left.length));
    return rows.map(([left, text]) => `  ${left.padEnd(width)}  ${text}`).join("\n");
}

/**
 * An option npm took for itself: `npm run plan --stack prod` (without `--`) hands `--stack prod` to
 * npm, which exports it as `npm_config_stack` and runs the script without it.
 */
export function optionsNpmTook(
    specs: readonly OptionSpec[],
    env: NodeJS.ProcessEnv = process.env,
): { name: string; value: string }[] {
    return specs
        .map((s) => ({ name: s.name, value: env[`npm_config_${s.name.replace(/-/g, "_")}`] }))
        .filter((o): o is { name: string; value: string } => o.value !== undefined && o.value !== "");
}

/** Runs a command's `main`: its known errors print as they are, exit code 1; a bug keeps its trace. */
export function runCommand(main: () => Promise<number | void>, command: string): void {
    // `npm run plan | head` closes the pipe early: that is not an error of the command.
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EPIPE") process.exit(0);
        throw e;
    });
    main().then(
        (code) => {
            process.exitCode = code ?? 0;
        },
        (e: Error) => {
            const known = ["ConfigError", "UsageError", "DiffError"].includes(e.name);
            console.error(
                known
                    ? `${e.message}${e.name === "UsageError" ? `\n(${command} -- --help for usage)` : ""}`
                    : `${e.stack ?? e.message}\n(run with GITOPS_PLAN_STACKS=1 for the program's full stack trace)`,
            );
            process.exitCode = 1;
        },
    );
}
