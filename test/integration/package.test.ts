// The npm package as a stranger gets it: `npm pack` of this checkout (the build the global set-up made, and
// the declarations tsconfig.package.json emits), installed into a new project from the tarball alone
// (--offline: it has no dependencies), and the README's "Use it in your project" snippets, taken from the
// README itself, type-checked against the installed package and run against a real mosquitto, with
// mosquitto_sub counting what arrives.
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../host-sim/loopback.js";
import { Mosquitto, mosquittoAvailable } from "./mosquitto.js";

const run = promisify(execFile);
const root = process.cwd();
const tsc = join(root, "node_modules", ".bin", "tsc");

/** The code block between `<!-- snippet NAME` and `<!-- /snippet -->` in the README. */
function snippet(name: string): string {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(`<!-- snippet ${name}`);
  expect(start, `README snippet ${name}`).toBeGreaterThan(0);
  const block = /```(?:js|ts)\n([\s\S]*?)```/.exec(readme.slice(start));
  return block![1];
}

/** Runs `file` with node in `dir` and resolves with its exit code and output (killed after 15 s). */
async function runNode(dir: string, file: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 15000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, out };
}

describe.runIf(mosquittoAvailable())("the npm package, installed from its tarball into a new project", () => {
  let dir = "";
  let project = "";
  let files: string[] = [];
  let broker: Mosquitto;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mqtt-xs-package-"));
    await run(tsc, ["-p", "tsconfig.package.json"], { cwd: root });
    const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: root });
    const packed = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    files = packed[0].files.map((f) => f.path);
    project = join(dir, "consumer");
    await run("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(dir, packed[0].filename)], { cwd: project });
    broker = await Mosquitto.start();
  });

  afterAll(async () => {
    await broker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("holds what its exports name, built, with declarations, and none of the tests or sources", () => {
    const pkg = JSON.parse(readFileSync(join(project, "node_modules", "mqtt-xs", "package.json"), "utf8")) as { exports: Record<string, { types: string; default: string } | string> };
    for (const [entry, target] of Object.entries(pkg.exports)) {
      const paths = typeof target === "string" ? [target] : [target.types, target.default];
      for (const path of paths) expect(files, `${entry} -> ${path}`).toContain(path.replace(/^\.\//, ""));
    }
    expect(files.filter((f) => /^(test|scripts|bench)\/|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files).toContain("manifests/manifest_client.json");
    // A Moddable project includes node_modules/mqtt-xs/manifests/manifest_client.json: every module path it
    // names (relative to the manifest, as mcconfig takes them) is in the package.
    const manifest = JSON.parse(readFileSync(join(project, "node_modules", "mqtt-xs", "manifests", "manifest_client.json"), "utf8")) as { modules: Record<string, string> };
    for (const [name, path] of Object.entries(manifest.modules)) {
      const target = join("manifests", path).replace(/\\/g, "/");
      if (target.endsWith("/*")) expect(files.some((f) => f.startsWith(target.slice(0, -1)) && f.endsWith(".js")), `${name} -> ${target}`).toBe(true);
      else expect(files, `${name} -> ${target}`).toContain(target + ".js");
    }
    expect(readdirSync(join(project, "node_modules")).filter((f) => !f.startsWith("."))).toEqual(["mqtt-xs"]); // no dependencies came with it (npm may keep a .package-lock.json there)
  });

  it("the README's Node snippet type-checks against the package, and publishes and subscribes through mosquitto", async () => {
    const code = snippet("node-connect");
    expect(code).toContain('"mqtt://127.0.0.1:1883"');
    writeFileSync(join(project, "connect.mjs"), code.replace(":1883", `:${broker.port}`));
    await run(tsc, ["--noEmit", "--allowJs", "--checkJs", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--typeRoots", join(root, "node_modules", "@types"), "--types", "node", "connect.mjs"], { cwd: project });
    const sub = run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(broker.port), "-t", "demo/#", "-C", "1", "-v", "-W", "10"]);
    await new Promise((r) => setTimeout(r, 300)); // mosquitto_sub subscribed
    const result = await runNode(project, "connect.mjs");
    expect(result).toEqual({ code: 0, out: "demo/hello world\n" }); // it got its own message, then end() let the process exit
    expect((await sub).stdout).toBe("demo/hello world\n");
  });

  it("the README's core snippet type-checks strictly as TypeScript and publishes through mosquitto", async () => {
    const code = snippet("core");
    writeFileSync(join(project, "core.ts"), code.replace("port: 1883", `port: ${broker.port}`));
    expect(code).toContain("port: 1883");
    await run(tsc, ["--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--typeRoots", join(root, "node_modules", "@types"), "--types", "node", "core.ts"], { cwd: project });
    const sub = run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(broker.port), "-t", "demo/core", "-C", "1", "-W", "10"]);
    await new Promise((r) => setTimeout(r, 300));
    const result = await runNode(project, "core.js");
    expect(result.code).toBe(0);
    expect(result.out).toBe("disconnected: ended by the app\n"); // onAcked ended it; disconnectMessage() said why
    expect((await sub).stdout).toBe("from the core\n");
  });

  it("end() right after publishing 20 QoS 1 messages delivers all 20 before it disconnects (mosquitto_sub counts)", async () => {
    writeFileSync(
      join(project, "burst.mjs"),
      `import { connect } from "mqtt-xs/sim";\n` +
        `connect("mqtt://127.0.0.1:${broker.port}", {\n` +
        `  onConnected() {\n` +
        `    for (let i = 1; i <= 20; i++) this.publish("burst/" + i, "m" + i, 1);\n` +
        `    this.end();\n` +
        `  },\n` +
        `  onDisconnected(reason) { console.log("queued after end:", this.client.queuedCount(), "acked:", this.client.stats.acked); },\n` +
        `});\n`,
    );
    const sub = run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(broker.port), "-t", "burst/#", "-C", "20", "-W", "10"]);
    await new Promise((r) => setTimeout(r, 300));
    const result = await runNode(project, "burst.mjs");
    expect(result).toEqual({ code: 0, out: "queued after end: 0 acked: 20\n" }); // the process exits by itself once done
    expect((await sub).stdout.split("\n").filter(Boolean).sort()).toEqual(Array.from({ length: 20 }, (_, i) => "m" + (i + 1)).sort());
  });

  it("end() with no connection says what it leaves undelivered, and the process exits", async () => {
    const closed = await freePort();
    writeFileSync(
      join(project, "undelivered.mjs"),
      `import { connect } from "mqtt-xs/sim";\n` +
        `const mqtt = connect("mqtt://127.0.0.1:${closed}", {});\n` +
        `mqtt.publish("x/y", "never", 1);\n` +
        `mqtt.end();\n`,
    );
    const result = await runNode(project, "undelivered.mjs");
    expect(result).toEqual({ code: 0, out: "mqtt-xs: ended with messages not yet delivered (still queued: a later start() sends them) (-114)\n" });
  });

  it("a client that gives up (reconnectPeriod 0) lets the process exit; a handler that throws is printed with its error", async () => {
    const closed = await freePort();
    writeFileSync(
      join(project, "giveup.mjs"),
      `import { connect } from "mqtt-xs/sim";\n` +
        `connect("mqtt://127.0.0.1:${closed}", { reconnectPeriod: 0, onDisconnected(reason, cause) { console.log("gave up:", cause.toString(16)); } });\n`,
    );
    expect(await runNode(project, "giveup.mjs")).toEqual({ code: 0, out: "gave up: 201\n" });
    writeFileSync(
      join(project, "throws.mjs"),
      `import { connect } from "mqtt-xs/sim";\n` +
        `connect("mqtt://127.0.0.1:${broker.port}", { onConnected() { this.end(); notDefined(); } });\n`,
    );
    const result = await runNode(project, "throws.mjs");
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^mqtt-xs: an app handler threw \(-108\): ReferenceError: notDefined is not defined\n\s+at .*throws\.mjs/);
  });

  it("a wrong URL is refused with words, not a stack trace from deep inside", async () => {
    writeFileSync(join(project, "wrong.mjs"), 'import { connect } from "mqtt-xs/sim";\ntry { connect("http://127.0.0.1"); } catch (e) { console.log(e.name + ": " + e.message); }\n');
    const result = await runNode(project, "wrong.mjs");
    expect(result.out).toBe('TypeError: broker URL "http://127.0.0.1": expected mqtt://host[:port], mqtts://host[:port], ws://host[:port]/path or wss://host[:port]/path (no credentials: use username and password)\n');
  });
});
