/**
 * The CI-sized fuzz run on Node: 100,000 cases (FUZZ_CASES overrides), seed FUZZ_SEED (default fixed, so a
 * failure reproduces), each fed to FrameReader + decodePacket (whole and split: same packets, same outcome,
 * fields in bounds) and to an MqttClient in one of four set-ups (its own split and drains, and one byte at a
 * time: same end). Nothing may throw; the client must end connected, or disconnected with 0x81/0x82/0x95
 * (0x84-0x88 for a refusing CONNACK; 0x93 after its inbound QoS 2 table filled and drained) with wantsClose; its invariants must hold after every chunk (rings,
 * in-flight window and count, outbox records, queuedCount, session tables, pending subscriptions); its
 * output must stay well framed; it must never stop taking bytes once its output is written.
 * Longer runs, which save failing cases into test/fuzz/regressions/: npm run fuzz -- --cases N.
 */
import { describe, expect, it } from "vitest";
import { FuzzStats, runBatch, violationName } from "../vectors/fuzz.js";
import { expectCoverage, expectNoNewViolations, statsData, type StatsData } from "./report.js";
import { knownOpenViolations } from "./vectors.js";

const CASES = Number(process.env.FUZZ_CASES ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_0007);
const knownOpen = knownOpenViolations();

describe(`fuzz on Node: ${CASES.toLocaleString("en")} cases, seed ${SEED}`, () => {
  let stats: StatsData;
  let elapsed = 0;

  it("no exception, a defined end, every invariant, and no violation other than known open bugs", () => {
    const s = new FuzzStats();
    const start = performance.now();
    runBatch(SEED, 0, CASES, s);
    elapsed = performance.now() - start;
    stats = statsData(s);
    console.log(
      `fuzz (Node): ${stats.cases} cases in ${(elapsed / 1000).toFixed(1)} s; ends: connected ${stats.connected}, 0x81 ${stats.malformed}, ` +
        `0x82 ${stats.protocolError}, 0x95 ${stats.tooLarge}, 0x93 ${stats.recycled}, refused ${stats.refused}; decoder: ${stats.decodedPackets} packets, ` +
        `${stats.decodeErrors} errors; violations ${JSON.stringify(Object.fromEntries(stats.violations.map((n, v) => [violationName(v), n]).filter(([, n]) => n)))}`,
    );
    expect(stats.cases).toBe(CASES);
    expect(CASES).toBeGreaterThanOrEqual(process.env.FUZZ_CASES ? 1 : 100_000);
    expectNoNewViolations(stats, knownOpen, "fuzz (Node)");
  }, 120_000);

  it("reaches every outcome (coverage floors)", () => {
    expectCoverage(stats);
  });

  // KNOWN OPEN FIRMWARE BUGS: these fail today (it.fails keeps the suite green). When the firmware is fixed the
  // count drops to 0, the case passes, it.fails reports it: set the vector's status to "fixed" and drop this.
  for (const [name, files] of knownOpen) {
    it.fails(`KNOWN OPEN BUG (expected to fail until fixed): no "${name}" violation (${files.join(", ")})`, () => {
      const v = [...Array(stats.violations.length).keys()].find((i) => violationName(i) === name)!;
      expect(stats.violations[v]).toBe(0);
    });
  }
});
