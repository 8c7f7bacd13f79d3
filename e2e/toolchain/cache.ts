// Where the e2e's real engines live: one folder per tool, outside the work tree, named by the tool and
// its version, holding bin/ and a stamp of the recipe it was built from.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import versions from "./versions.json";

/** One real engine, built from its Go module (e2e/toolchain/versions.json). */
export interface Tool {
    /** Name of the cache folder and of `--only`. */
    name: string;
    /** Go module path; its version is checked by the Go checksum database. */
    module: string;
    /** Module version (a tag or the pseudo-version of a commit). */
    version: string;
    /** Binary name to the package inside the module that builds it. */
    packages: Record<string, string>;
    /** Version of the modules a directory `replace` stood for (k8s.io staging modules). */
    stagingVersion?: string;
    /** Version the Pulumi provider reports (and is installed as). */
    providerVersion?: string;
    /** Which version stamp the binary needs at link time. */
    ldflags?: "kubernetes" | "pulumi" | "pulumi-kubernetes";
    /** A generation step upstream runs before `go build`. */
    generate?: "pulumi-kubernetes-schema";
    /** Files the e2e reads from the module (kwok's stages, Flux's CRDs): folder name to the module's YAML folders. */
    assets?: Record<string, string[]>;
    /** Why this tool and this version. */
    why: string;
}

export const toolchain = versions as unknown as { go: string; tools: Tool[] };

/** `$GITOPS_E2E_CACHE`, else `~/.cache/gitops-platform-e2e`. */
export function cacheRoot(): string {
    return process.env.GITOPS_E2E_CACHE || path.join(os.homedir(), ".cache", "gitops-platform-e2e");
}

export function toolBinDir(tool: Tool): string {
    return path.join(cacheRoot(), `${tool.name}-${tool.version}`, "bin");
}

/** Changes when anything that shapes the binaries changes, so a stale build is rebuilt. */
export function toolStamp(tool: Tool): string {
    const recipe = JSON.stringify({ ...tool, why: undefined, go: toolchain.go });
    return crypto.createHash("sha256").update(recipe).digest("hex");
}

/** The YAML files a tool's module ships in one asset folder (e2e/toolchain/versions.json `assets`). */
export function assetFiles(toolName: string, asset: string): string[] {
    const tool = toolchain.tools.find((t) => t.name === toolName);
    if (!tool?.assets?.[asset]) throw new Error(`tool ${toolName} has no asset ${asset}`);
    const dir = path.join(toolBinDir(tool), "..", asset);
    return fs.existsSync(dir)
        ? fs
              .readdirSync(dir)
              .sort()
              .map((f) => path.join(dir, f))
        : [];
}

/** Path of one binary in its tool's cache folder (which exists once `npm run e2e:toolchain` built it). */
export function binary(name: string): string {
    const tool = toolchain.tools.find((t) => name in t.packages);
    if (!tool) throw new Error(`no tool builds ${name}`);
    return path.join(toolBinDir(tool), name);
}
