import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { YAMLParseError, parse } from "yaml";

/** A YAML file that does not parse: the file, line and column, and what the parser expected. */
export class YamlFileError extends pulumi.RunError {
    constructor(
        readonly file: string,
        readonly line: number,
        readonly column: number,
        reason: string,
    ) {
        super(`${file}:${line}:${column}: not valid YAML: ${reason}`);
        this.name = "ConfigError";
    }
}

/** Parses a YAML file; a syntax error names the file (as `shownAs`, default its base name), line and column. */
export function readYamlFile(path: string, shownAs = basename(path)): unknown {
    return parseYaml(readFileSync(path, "utf8"), shownAs);
}

/** Parses YAML text from the file `shownAs`; a syntax error names it, with line and column. */
export function parseYaml(text: string, shownAs: string): unknown {
    try {
        return parse(text, { prettyErrors: true });
    } catch (e) {
        if (!(e instanceof YAMLParseError)) throw e;
        const [line, column] = e.linePos?.[0] ? [e.linePos[0].line, e.linePos[0].col] : [0, 0];
        throw new YamlFileError(
            shownAs,
            line,
            column,
            e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""),
        );
    }
}
