// Node side of the XS test harness: runs a built ES module on the instrumented XS runner (build/xs/xsprobe,
// see scripts/build-xs-runner.mjs) and turns the XSTEST/XSDONE lines printed by test/xs/suites/harness.ts
// into results. No vitest here: `npm run bench` uses it too (describe-xs.ts makes vitest cases of them).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this module with a package.json (it runs from test/ and build/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("xs-run: no package.json above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
const root = findRoot();
/** The instrumented XS runner built by scripts/build-xs-runner.mjs. */
export const xsprobePath = resolve(root, "build/xs/xsprobe");

/** One case as reported by harness.ts's run(). */
export interface XsCaseResult {
  name: string;
  ok: boolean;
  error?: string;
  data?: Record<string, unknown>;
}

export interface XsRunOptions {
  /** Kill the runner after this long (default 30 s). */
  timeoutMs?: number;
}

/**
 * Builds what the XS tests run: the firmware and suites (scripts/build.mjs) and the runner
 * (scripts/build-xs-runner.mjs, a no-op when up to date). Throws if either build fails.
 */
export function ensureXsBuilt(): void {
  for (const args of [["scripts/build.mjs", "--quiet"], ["scripts/build-xs-runner.mjs"]]) {
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
    if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

// A module that throws makes xsnap exit 0 silently, so the module is imported from a script that prints
// the outcome. String literals here are fine: this runs once, outside any measured loop.
function bootstrap(modulePath: string): string {
  return (
    `import(${JSON.stringify(modulePath)}).then(() => print("XSLOADED"), ` +
    `(e) => print("XSLOADFAIL " + (e instanceof Error ? e.name + ": " + e.message : String(e))))`
  );
}

class XsRunError extends Error {
  constructor(modulePath: string, reason: string, stdout: string, stderr: string) {
    super(`${modulePath} on XS: ${reason}\n--- stdout ---\n${stdout}--- stderr ---\n${stderr}`);
    this.name = "XsRunError";
  }
}

/** Parses the runner's output; returns the failure reason, or the cases. */
function parse(stdout: string): XsCaseResult[] | string {
  const results: XsCaseResult[] = [];
  let done: number | undefined;
  let loaded = false;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("XSLOADFAIL ")) return `the module failed to load or threw: ${line.slice(11)}`;
    if (line === "XSLOADED") loaded = true;
    else if (line.startsWith("XSDONE ")) done = Number(line.slice(7));
    else if (line.startsWith("XSTEST ")) {
      let result: XsCaseResult;
      try {
        result = JSON.parse(line.slice(7)) as XsCaseResult;
      } catch {
        return `malformed XSTEST line: ${line}`;
      }
      if (typeof result.name !== "string" || typeof result.ok !== "boolean") return `malformed XSTEST line: ${line}`;
      results.push(result);
    }
  }
  if (!loaded) return "the module never finished evaluating (a top-level await that never settles?)";
  if (done === undefined) return "no XSDONE line: did the suite end with `await run()`?";
  if (done !== results.length) return `XSDONE says ${done} cases but ${results.length} XSTEST lines were printed`;
  return results;
}

/**
 * Runs an ES module (a built suite, e.g. build/test/xs/suites/foo.xs.js; relative paths are resolved against
 * the repository root) on build/xs/xsprobe and returns its cases. Rejects, with the full stdout and stderr,
 * if the module failed to load or threw, printed no complete XSTEST/XSDONE report, crashed, or timed out.
 */
export function runXsModule(modulePath: string, opts: XsRunOptions = {}): Promise<XsCaseResult[]> {
  const path = resolve(root, modulePath);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolvePromise, reject) => {
    if (!existsSync(xsprobePath)) return reject(new Error(`${xsprobePath} is missing: run node scripts/build-xs-runner.mjs`));
    if (!existsSync(path)) return reject(new Error(`${path} is missing: run node scripts/build.mjs`));
    const child = spawn(xsprobePath, ["-e", bootstrap(path)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new XsRunError(path, `cannot start ${xsprobePath}: ${error.message}`, stdout, stderr));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      // xsnap exits non-zero on an uncaught exception (5), too much computation (7), memory full (1)...
      let outcome: XsCaseResult[] | string;
      if (timedOut) outcome = `timed out after ${timeoutMs} ms`;
      else if (signal) outcome = `the runner crashed (${signal})`;
      else if (code !== 0) outcome = `the runner exited with code ${code}`;
      else outcome = parse(stdout);
      if (typeof outcome === "string") reject(new XsRunError(path, outcome, stdout, stderr));
      else resolvePromise(outcome);
    });
  });
}
