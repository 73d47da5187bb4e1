// Runs the integration tests (test/integration, real brokers) N times in a row and counts the failing runs:
//   npm run test:repeat -- 20
//   npm run test:repeat -- 80 --only "inbound: messages" --load 2
// --only NAME runs only the tests whose name contains NAME; --load K keeps K CPU-bound processes busy beside
// the runs (a loaded machine, as CI's can be). Each run's output goes to build/repeat/run-<i>.log; the
// summary prints each run's totals and the end-to-end figures of the QoS 2 tests, then the runs that saw a
// duplicate. Exits 1 if any run failed.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const usage = 'usage: npm run test:repeat -- N [--only "test name"] [--load K]';
let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { only: { type: "string" }, load: { type: "string", default: "0" } } });
} catch (error) {
  console.error(`test:repeat: ${error.message.split("\n")[0]}\n${usage}`);
  process.exit(2);
}
const arg = parsed.positionals[0] ?? "20";
const runs = Number(arg);
const load = Number(parsed.values.load);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`test:repeat: the number of runs must be a whole number from 1, not ${JSON.stringify(arg)}\n${usage}`);
  process.exit(2);
}
if (!Number.isInteger(load) || load < 0 || load > 16) {
  console.error(`test:repeat: --load must be a whole number from 0 to 16, not ${JSON.stringify(parsed.values.load)}\n${usage}`);
  process.exit(2);
}

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = join(root, "build", "repeat");
mkdirSync(dir, { recursive: true });
const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, "");
// A CPU-bound process: a child of this one, ended with it.
const hogs = Array.from({ length: load }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
const vitest = ["vitest", "run", "test/integration", ...(parsed.values.only ? ["-t", parsed.values.only] : [])];
let failed = 0;
const withDuplicates = [];
const started = Date.now();
try {
  for (let i = 1; i <= runs; i++) {
    const t = Date.now();
    const r = spawnSync("npx", vitest, { cwd: root, env: { ...process.env, CI: "true" }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const out = plain((r.stdout ?? "") + (r.stderr ?? ""));
    writeFileSync(join(dir, `run-${i}.log`), out);
    const totals = out.match(/Tests\s+(.*\(\d+\))/)?.[1] ?? "no totals";
    if (r.status !== 0) failed++;
    console.log(`run ${i}/${runs}: ${r.status === 0 ? "passed" : "FAILED"} in ${((Date.now() - t) / 1000).toFixed(0)} s: ${totals}`);
    for (const line of out.split("\n")) {
      if (!/^mosquitto QoS [12]:|^mosquitto_pub QoS 2 ->/.test(line)) continue;
      console.log("  " + line.slice(0, 260));
      const duplicates = /(\d+) duplicates/.exec(line);
      if (duplicates && Number(duplicates[1]) > 0 && /QoS 2/.test(line)) withDuplicates.push(`run ${i}: ${line.slice(0, 80)}`);
    }
  }
} finally {
  for (const hog of hogs) hog.kill();
}
console.log(`test:repeat: ${runs} runs of the integration tests${parsed.values.only ? ` named "${parsed.values.only}"` : ""}${load ? ` beside ${load} CPU-bound processes` : ""} in ${((Date.now() - started) / 60000).toFixed(1)} min: ${failed} failed; ${withDuplicates.length} saw a QoS 2 duplicate end to end`);
for (const line of withDuplicates) console.log("  " + line);
process.exitCode = failed > 0 ? 1 : 0;
