// The fuzzer on the real XS engine (test/xs/suites/fuzz.xs.ts): 10,000 cases, and the allocation proof of
// the error paths. The suite reports its counts; the assertions on them are here, shared with the Node run.
import { describe, expect, it } from "vitest";
import { FuzzStats, runBatch, VIOLATIONS, violationName } from "../vectors/fuzz.js";
import { expectCoverage, expectNoViolations, statsData, type StatsData } from "../fuzz/report.js";
import { describeXs } from "./describe-xs.js";

const results = await describeXs("fuzz on XS", "build/test/xs/suites/fuzz.xs.js", { timeoutMs: 180_000 });
const batch = results.find((r) => r.name.startsWith("10,000 fuzz cases"));
const loop = results.find((r) => r.name.startsWith("malformed input"));
const refused = results.find((r) => r.name.startsWith("a publish refused"));

describe("fuzz on XS: the counts", () => {
  it("10,000 cases ran, with no violation", () => {
    const stats = batch?.data?.stats as StatsData;
    expect(stats, "the suite's report").toBeDefined();
    console.log(`fuzz (XS): ${stats.cases} cases in ${batch!.data!.ms} ms; ends: connected ${stats.connected}, 0x81 ${stats.malformed}, 0x82 ${stats.protocolError}, 0x95 ${stats.tooLarge}, refused ${stats.refused}`);
    expect(stats.cases).toBeGreaterThanOrEqual(10_000);
    expectNoViolations(stats, "fuzz (XS)");
    expectCoverage(stats);
  });
  it("the same cases on both engines: Node's run of the seed gives the same counts, to the case", () => {
    const stats = batch?.data?.stats as StatsData;
    const node = new FuzzStats();
    runBatch(batch!.data!.seed as number, 0, stats.cases, node);
    expect({ ...stats, decodedPackets: node.decodedPackets }).toEqual(statsData(node));
    expect(stats.decodedPackets).toBe(node.decodedPackets);
  });
  // Found by this suite: makeRoom compared the queuePolicy string on every refused publish (64 chunk bytes per
  // call on XS run from source); the policy is now a number resolved in the constructor.
  it("a publish refused by a full outbox allocates nothing on XS", () => {
    const m = refused?.data?.measure as { chunks: number; chunksPeak: number; slots: number; slotsPeak: number };
    expect(m).toBeDefined();
    expect([m.slots, m.slotsPeak, m.chunks, m.chunksPeak]).toEqual([0, 0, 0, 0]);
  });
  it("the measured loop of malformed input found no violation", () => {
    const violations = loop?.data?.violations as number[];
    expect(violations, "the suite's report").toHaveLength(VIOLATIONS);
    const found = violations.map((n, v) => (v > 0 && n > 0 ? `${violationName(v)} ${n}` : "")).filter(Boolean);
    expect(found).toEqual([]);
  });
});
