// The part of GitHub's REST API the promotion step calls, on 127.0.0.1 over HTTPS (curl reaches it as
// api.github.com through the agent's .curlrc `connect-to`): list a repository's open pull requests by
// head, open one, and merge one, as the reviewer's merge button does. Repositories are the e2e git
// server's bare repositories `<root>/github/<owner>/<name>.git`; every call is appended to
// `<state>/calls.jsonl` so the e2e can assert what the scripts asked.
//
//   node -r ./tools/offline/register.js e2e/servers/githubApi.ts <gitRoot> <port> <state directory>
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";

const [gitRoot, port, state] = process.argv.slice(2);
if (!gitRoot || !port || !state) {
    console.error("usage: githubApi.ts <gitRoot> <port> <state directory>");
    process.exit(2);
}

interface PullRequest {
    number: number;
    state: "open" | "closed";
    merged: boolean;
    title: string;
    body: string;
    head: { ref: string; label: string };
    base: { ref: string };
    html_url: string;
}

const pulls = new Map<string, PullRequest[]>();
const git = (bare: string, args: string[]) =>
    execFileSync("git", ["-C", bare, ...args], {
        encoding: "utf8",
        env: {
            ...process.env,
            GIT_AUTHOR_NAME: "GitHub",
            GIT_AUTHOR_EMAIL: "noreply@github.com",
            GIT_COMMITTER_NAME: "GitHub",
            GIT_COMMITTER_EMAIL: "noreply@github.com",
        },
    }).trim();

/** A merge commit of head into base (GitHub's "Create a merge commit"), refused when base moved. */
function merge(repository: string, pr: PullRequest): { status: number; body: object } {
    const bare = path.join(gitRoot, "github", `${repository}.git`);
    const head = git(bare, ["rev-parse", `refs/heads/${pr.head.ref}`]);
    const base = git(bare, ["rev-parse", `refs/heads/${pr.base.ref}`]);
    try {
        git(bare, ["merge-base", "--is-ancestor", base, head]);
    } catch {
        return { status: 405, body: { message: "Pull Request is not mergeable (base moved)" } };
    }
    const tree = git(bare, ["rev-parse", `${head}^{tree}`]);
    const commit = git(bare, [
        "commit-tree",
        tree,
        "-p",
        base,
        "-p",
        head,
        "-m",
        `Merge pull request #${pr.number}`,
    ]);
    git(bare, ["update-ref", `refs/heads/${pr.base.ref}`, commit, base]);
    pr.state = "closed";
    pr.merged = true;
    return { status: 200, body: { sha: commit, merged: true, message: "Pull Request successfully merged" } };
}

function answer(method: string, url: URL, body: string): { status: number; body: object } {
    const match = /^\/repos\/([^/]+\/[^/]+)\/pulls(?:\/(\d+)(\/merge)?)?$/.exec(url.pathname);
    if (!match) return { status: 404, body: { message: "Not Found" } };
    const [, repository, number, isMerge] = match;
    const list = pulls.get(repository) ?? [];
    pulls.set(repository, list);
    if (method === "GET" && !number) {
        const head = url.searchParams.get("head");
        const open = list.filter(
            (p) => p.state === (url.searchParams.get("state") ?? "open") && (!head || p.head.label === head),
        );
        return { status: 200, body: open };
    }
    if (method === "POST" && !number) {
        const request = JSON.parse(body) as { title: string; head: string; base: string; body: string };
        const n = list.length + 1;
        const pr: PullRequest = {
            number: n,
            state: "open",
            merged: false,
            title: request.title,
            body: request.body,
            head: { ref: request.head, label: `${repository.split("/")[0]}:${request.head}` },
            base: { ref: request.base },
            html_url: `https://github.com/${repository}/pull/${n}`,
        };
        list.push(pr);
        return { status: 201, body: pr };
    }
    const pr = list.find((p) => p.number === Number(number));
    if (!pr) return { status: 404, body: { message: "Not Found" } };
    if (method === "PUT" && isMerge) return merge(repository, pr);
    if (method === "GET") return { status: 200, body: pr };
    return { status: 404, body: { message: "Not Found" } };
}

fs.mkdirSync(state, { recursive: true });
const options = {
    key: fs.readFileSync(path.join(state, "tls.key")),
    cert: fs.readFileSync(path.join(state, "tls.crt")),
};
https
    .createServer(options, (req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
        req.on("end", () => {
            const url = new URL(req.url ?? "/", "https://api.github.com");
            const authorization = String(req.headers.authorization ?? "");
            const result = authorization.startsWith("Bearer ")
                ? answer(req.method ?? "GET", url, body)
                : { status: 401, body: { message: "Requires authentication" } };
            const call = {
                method: req.method,
                path: url.pathname + url.search,
                status: result.status,
                authorized: authorization.startsWith("Bearer "),
                body: body ? JSON.parse(body) : undefined,
            };
            fs.appendFileSync(path.join(state, "calls.jsonl"), `${JSON.stringify(call)}\n`);
            res.writeHead(result.status, { "content-type": "application/json" });
            res.end(JSON.stringify(result.body));
        });
    })
    .listen(Number(port), "127.0.0.1", () => console.log(`GitHub API stand-in on 127.0.0.1:${port}`));
