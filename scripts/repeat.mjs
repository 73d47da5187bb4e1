// Runs the integration tests (test/integration, real brokers) N times in a row and counts the failing runs:
// npm run test:repeat -- 20. Each run's output goes to build/repeat/run-<i>.log; the summary prints each run's
// totals and the end-to-end figures of the bulk tests. Exits 1 if any run failed.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const arg = process.argv[2] ?? "20";
const runs = Number(arg);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`test:repeat: the number of runs must be a whole number from 1, not ${JSON.stringify(arg)} (npm run test:repeat -- 20)`);
  process.exit(2);
}
const dir = join(root, "build", "repeat");
mkdirSync(dir, { recursive: true });
const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, "");
let failed = 0;
const started = Date.now();
for (let i = 1; i <= runs; i++) {
  const t = Date.now();
  const r = spawnSync("npx", ["vitest", "run", "test/integration"], { cwd: root, env: { ...process.env, CI: "true" }, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const out = plain((r.stdout ?? "") + (r.stderr ?? ""));
  writeFileSync(join(dir, `run-${i}.log`), out);
  const totals = out.match(/Tests\s+(.*\(\d+\))/)?.[1] ?? "no totals";
  if (r.status !== 0) failed++;
  console.log(`run ${i}/${runs}: ${r.status === 0 ? "passed" : "FAILED"} in ${((Date.now() - t) / 1000).toFixed(0)} s: ${totals}`);
  for (const line of out.split("\n")) if (/^mosquitto QoS [12]:/.test(line)) console.log("  " + line.slice(0, 260));
}
console.log(`test:repeat: ${runs} runs of the integration tests in ${((Date.now() - started) / 60000).toFixed(1)} min: ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
