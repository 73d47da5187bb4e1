/**
 * `npm run bench`: every figure beside its peer's, measured in one run on one machine, as ratios.
 * Writes bench/results.json (one record per figure) and bench/results.md (the table the README shows).
 * Absolute numbers are printed for reference; nothing here is asserted.
 */
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { codecNode } from "./codec-node.js";
import { clientXs } from "./client-xs.js";
import { codecXs } from "./codec-xs.js";
import { ratio, type Figure } from "./figure.js";

const quick = process.argv.includes("--quick");
const rounds = quick ? 3 : 7;
const ms = quick ? 100 : 300;
const progress = (line: string) => process.stderr.write(line + "\n");

const figures: Figure[] = [];
progress(`bench: ${rounds} rounds of ${ms} ms per Node figure (median reported)`);
figures.push(...codecNode(rounds, ms, progress));
figures.push(...(await codecXs(progress)));
figures.push(...(await clientXs(progress)));

const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const format = (value: number) => (value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(value >= 10 ? 1 : 2));
const rows = figures.map((f) => {
  const r = ratio(f);
  const goal = f.target !== undefined ? `>= ${f.target}x` : f.ceiling !== undefined ? `<= ${format(f.ceiling)} ${f.unit}` : "";
  const met = f.target !== undefined ? r !== null && r >= f.target : f.ceiling !== undefined ? f.ours <= f.ceiling : null;
  return {
    name: f.name,
    ours: format(f.ours),
    peer: f.peer === null ? (f.reference ?? "") : `${format(f.peer)} (${f.peerName})`,
    unit: f.unit,
    ratio: r === null ? "" : `${r.toFixed(1)}x`,
    target: goal ? `${goal} ${met ? "(met)" : "(missed)"}` : "",
  };
});
const table = [
  "| figure | ours | peer | unit | ratio (ours better by) | target |",
  "|---|---:|---:|---|---:|---|",
  ...rows.map((r) => `| ${r.name} | ${r.ours} | ${r.peer} | ${r.unit} | ${r.ratio} | ${r.target} |`),
].join("\n");
const markdown = `# Benchmark results\n\nMeasured by \`npm run bench${quick ? " -- --quick" : ""}\` on ${new Date().toISOString().slice(0, 10)}: ${machine}.\n\n${table}\n`;
writeFileSync(new URL("./results.md", import.meta.url).pathname.replace("/build/bench/", "/bench/"), markdown);
writeFileSync(
  new URL("./results.json", import.meta.url).pathname.replace("/build/bench/", "/bench/"),
  JSON.stringify({ machine, date: new Date().toISOString(), figures: figures.map((f) => ({ name: f.name, ours: f.ours, peer: f.peer, peerName: f.peerName, unit: f.unit, ratio: ratio(f) })) }, null, 2) + "\n",
);
console.log(`\n${machine}\n\n${table}\n\nwrote bench/results.md and bench/results.json`);
