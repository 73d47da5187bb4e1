/**
 * The CI-sized fuzz run on Node: 100,000 cases (FUZZ_CASES overrides), seed FUZZ_SEED (default fixed, so a
 * failure reproduces), each fed to FrameReader + decodePacket (whole and split: same packets, same outcome,
 * fields in bounds) and to an MqttClient in one of four set-ups (its own split and drains, and one byte at a
 * time: same end). Nothing may throw; the client must end connected, or disconnected with 0x81/0x82/0x95
 * (0x84-0x88 for a refusing CONNACK) with wantsClose; its invariants must hold after every chunk (rings,
 * in-flight window and count, outbox records, every message accounted for, pending subscriptions); its
 * output must stay well framed; it must never stop taking bytes once its output is written.
 * Longer runs, which save failing cases into test/fuzz/regressions/: npm run fuzz -- --cases N.
 */
import { describe, expect, it } from "vitest";
import { FuzzStats, runBatch, violationName } from "../vectors/fuzz.js";
import { expectCoverage, expectNoViolations, statsData, type StatsData } from "./report.js";

const CASES = Number(process.env.FUZZ_CASES ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_0007);

describe(`fuzz on Node: ${CASES.toLocaleString("en")} cases, seed ${SEED}`, () => {
  let stats: StatsData;
  let elapsed = 0;

  it("no exception, a defined end, every invariant: no violation", () => {
    const s = new FuzzStats();
    const start = performance.now();
    runBatch(SEED, 0, CASES, s);
    elapsed = performance.now() - start;
    stats = statsData(s);
    console.log(
      `fuzz (Node): ${stats.cases} cases in ${(elapsed / 1000).toFixed(1)} s; ends: connected ${stats.connected}, 0x81 ${stats.malformed}, ` +
        `0x82 ${stats.protocolError}, 0x95 ${stats.tooLarge}, refused ${stats.refused}; decoder: ${stats.decodedPackets} packets, ` +
        `${stats.decodeErrors} errors; violations ${JSON.stringify(Object.fromEntries(stats.violations.map((n, v) => [violationName(v), n]).filter(([, n]) => n)))}`,
    );
    expect(stats.cases).toBe(CASES);
    expect(CASES).toBeGreaterThanOrEqual(process.env.FUZZ_CASES ? 1 : 100_000);
    expectNoViolations(stats, "fuzz (Node)");
  }, 120_000);

  it("reaches every outcome (coverage floors)", () => {
    expectCoverage(stats);
  });

});
