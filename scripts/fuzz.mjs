// The long fuzz run, for nights: npm run fuzz -- --cases N [--seed S] [--from I] [--save K]
// (the npm script builds first: node scripts/build.mjs --quiet && node scripts/fuzz.mjs). Runs cases
// [from, from + N) of seed S (default: a new seed, printed) through the shared fuzzer (test/vectors/fuzz.ts,
// from build/), and saves each failing case, shrunk, as a regression vector in test/fuzz/regressions/ (at most
// K per violation kind, default 3), which test/fuzz/regressions.test.ts then replays: each fails until the bug is
// fixed (then set its status to "fixed"). Exits 1 if any case failed.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const fuzz = await import(join(root, "build/test/vectors/fuzz.js"));
const { FuzzStats, runBatch, violationName, caseData, shrink, toHex, FuzzRunner, FuzzCase, describeEnd, VIOLATIONS } = fuzz;

function option(name, fallback) {
  const i = process.argv.indexOf("--" + name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number`);
  return value;
}
const cases = option("cases", 1_000_000);
const seed = option("seed", (Date.now() ^ (process.pid << 16)) >>> 0);
const from = option("from", 0);
const saveLimit = option("save", 3);
const dir = join(root, "test/fuzz/regressions");
mkdirSync(dir, { recursive: true });

const FIXTURE_NAMES = ["fresh", "tiny-control", "resumed", "connecting"];
const saved = new Map();
const stats = new FuzzStats();
const started = Date.now();
console.log(`fuzz: seed ${seed}, cases ${from}..${from + cases - 1}`);

function save(c, index, violation, runner) {
  const kind = violationName(violation);
  const count = saved.get(kind) ?? 0;
  if (count >= saveLimit) return;
  saved.set(kind, count + 1);
  const where = `run ${runner.failedRun}, chunk ${runner.where}${runner.thrown ? ", threw " + runner.thrown : ""}`;
  const data = shrink(caseData(c), violation);
  const replay = new FuzzRunner();
  const probe = new FuzzCase();
  probe.load(data.bytes, data.chunks, data.drains, data.fixture);
  const idealViolation = replay.runIdeal(probe);
  const expected = idealViolation === 0 ? describeEnd(replay.ideal) : "unknown: the ideal run fails too (" + violationName(idealViolation) + "); set by hand";
  const file = `${kind}-seed${seed}-case${index}.json`;
  const vector = {
    name: `${kind} found by the fuzzer (seed ${seed}, case ${index})`,
    violation: kind,
    status: "found",
    found: `npm run fuzz -- --seed ${seed} --from ${index} --cases 1 (${where}); shrunk from ${c.length} bytes in ${c.chunkCount} chunks`,
    fixture: data.fixture,
    fixtureName: FIXTURE_NAMES[data.fixture],
    bytes: toHex(data.bytes),
    chunks: data.chunks,
    drains: data.drains,
    expected,
    note: "expected: the end of the ideal run (one byte at a time, all output written after each byte); check it by hand, then describe the bug here",
  };
  writeFileSync(join(dir, file), JSON.stringify(vector, null, 2) + "\n");
  console.log(`  saved test/fuzz/regressions/${file} (${kind}, ${data.bytes.length} bytes after shrinking)`);
}

const BATCH = 50_000;
let failures = 0;
for (let at = from; at < from + cases; at += BATCH) {
  const n = Math.min(BATCH, from + cases - at);
  failures += runBatch(seed, at, n, stats, save);
  const seconds = (Date.now() - started) / 1000;
  console.log(`  ${stats.cases.toLocaleString("en")} cases, ${failures} failing, ${seconds.toFixed(0)} s (${Math.round(stats.cases / seconds).toLocaleString("en")}/s)`);
}
const counts = [];
for (let v = 1; v < VIOLATIONS; v++) if (stats.violations[v] > 0) counts.push(`${violationName(v)} ${stats.violations[v]} (first case ${stats.firstFailure[v]})`);
console.log(
  `fuzz: ${stats.cases} cases, seed ${seed}: ends connected ${stats.connected}, 0x81 ${stats.malformed}, 0x82 ${stats.protocolError}, ` +
    `0x95 ${stats.tooLarge}, refused ${stats.refused}; failing ${failures}${counts.length ? ": " + counts.join(", ") : ""}`,
);
process.exitCode = failures > 0 ? 1 : 0;
