/**
 * Reads the V8 CPU profiles the end-to-end publishers write under BENCH_PROFILE_DIR and prints where the
 * publishing time went, from "go" to the last message finished only (start-up and connect left out):
 *
 *   BENCH_PROFILE_DIR=/tmp/prof node build/bench/run.js --quick      (or any run with the e2e section)
 *   node build/bench/profile.js /tmp/prof [top]
 *
 * For each client and QoS: self time by area (the kernel write calls, our firmware, host-sim's device
 * modules, MQTT.js, Node's streams and timers, GC, idle) and the top functions by self and total time,
 * in microseconds per message (the profiles of the rounds added up).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PublisherReport } from "./e2e-publisher.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 15);
if (!dir) throw new Error("usage: node build/bench/profile.js <BENCH_PROFILE_DIR> [top]");

function where(url: string): string {
  if (url === "") return "";
  const m = /\/(build\/(?:firmware|host-sim|bench)\/.*)$/.exec(url) ?? /\/node_modules\/(.*)$/.exec(url);
  return m ? m[1] : url;
}

function area(name: string, url: string): string {
  if (name === "writeBuffer" || name === "writev" || name === "writeUtf8String" || name === "writeLatin1String") return "kernel write (" + name + ")";
  if (name === "(idle)" || name === "(garbage collector)" || name === "(program)") return name;
  if (url.includes("/build/firmware/mqtt/")) return "firmware/mqtt (the client)";
  if (url.includes("/build/firmware/net/")) return "firmware/net (connection adapter)";
  if (url.includes("/build/host-sim/")) return "host-sim device modules";
  if (url.includes("/build/bench/")) return "bench publisher loop";
  if (url.includes("/node_modules/")) return "node_modules: " + url.split("/node_modules/")[1].split("/")[0];
  if (url.startsWith("node:internal/timers") || url === "node:timers") return "node timers";
  if (url.includes("stream") || url === "node:net") return "node streams/net";
  if (url.includes("async_hooks")) return "node async_hooks";
  return "node other";
}

const label = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"} ${where(n.callFrame.url)}${n.callFrame.url ? ":" + (n.callFrame.lineNumber + 1) : ""}`;

for (const run of readdirSync(dir).sort()) {
  const runDir = join(dir, run);
  let reports: (PublisherReport & { pid: number })[];
  try {
    reports = readFileSync(join(runDir, "reports.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  } catch {
    continue;
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let messages = 0;
  let windowUs = 0;
  let cpuUs = 0;
  for (const file of readdirSync(runDir).filter((f) => f.endsWith(".cpuprofile"))) {
    const pid = Number(file.split(".")[3]);
    const report = reports.find((r) => r.pid === pid);
    if (!report) continue;
    messages += report.count;
    windowUs += report.doneHrUs - report.goHrUs;
    cpuUs += report.cpuUs;
    const profile = JSON.parse(readFileSync(join(runDir, file), "utf8")) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i];
      const dt = profile.timeDeltas[i + 1] ?? 0;
      if (t < report.goHrUs || t > report.doneHrUs) continue;
      const leaf = byId.get(profile.samples[i])!;
      const key = label(leaf);
      self.set(key, (self.get(key) ?? 0) + dt);
      const a = area(leaf.callFrame.functionName, leaf.callFrame.url);
      areas.set(a, (areas.get(a) ?? 0) + dt);
      const seen = new Set<string>();
      for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
        const k = label(byId.get(id)!);
        if (seen.has(k)) continue;
        seen.add(k);
        total.set(k, (total.get(k) ?? 0) + dt);
      }
    }
  }
  if (messages === 0) continue;
  const per = (us: number) => (us / messages).toFixed(2).padStart(7);
  const list = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${per(v)} us/msg ${((100 * v) / windowUs).toFixed(1).padStart(5)}%  ${k}`).join("\n");
  console.log(`\n=== ${run}: ${messages.toLocaleString("en-US")} messages, go->done ${(windowUs / 1000).toFixed(0)} ms, process CPU ${per(cpuUs).trim()} us/msg`);
  console.log("-- self time by area (% of the go->done wall time)\n" + list(areas, 20));
  console.log("-- self time by function\n" + list(self, top));
  console.log("-- total time (self + callees) by function\n" + list(total, top + 10));
}
