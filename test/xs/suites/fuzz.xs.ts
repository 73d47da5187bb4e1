// The fuzzer on the XS engine (the shared test/vectors/fuzz.ts): 10,000 cases through the decoder and the
// client, and the allocation proof of the error paths: malformed input fed to a client that the loop
// reconnects every time allocates 0 slots and 0 chunk bytes, peaks included, over 10,000 iterations.
// The counts are reported as data; test/xs/fuzz.test.ts asserts on them.
import { ClientState, MqttClient, TopicHandle } from "../../../firmware/mqtt/index.js";
import { Fixture, FuzzCase, FuzzRunner, FuzzStats, Generator, NOW, RunKind, VIOLATIONS, drain, outboxOf, runBatch } from "../../vectors/fuzz.js";
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test } from "./harness.js";

/** XS's host global (xsnap.c): milliseconds. */
declare const performance: { now(): number };

const SEED = 0x5eed_0019;
const CASES = 10_000;

function plain(stats: FuzzStats): Record<string, unknown> {
  return {
    cases: stats.cases,
    violations: Array.from(stats.violations),
    modes: Array.from(stats.modes),
    fixtures: Array.from(stats.fixtures),
    connected: stats.connected,
    malformed: stats.malformed,
    protocolError: stats.protocolError,
    tooLarge: stats.tooLarge,
    refused: stats.refused,
    decodedPackets: stats.decodedPackets,
    decodeErrors: stats.decodeErrors,
    split: stats.split,
    firstFailure: Array.from(stats.firstFailure),
  };
}

test("10,000 fuzz cases: decoder and client", () => {
  const stats = new FuzzStats();
  const start = performance.now();
  runBatch(SEED, 0, CASES, stats);
  report("ms", Math.round(performance.now() - start));
  report("seed", SEED);
  report("stats", plain(stats));
  assertEqual(stats.cases, CASES, "cases run");
});

const CONNACK = Uint8Array.of(0x20, 2, 0, 0);
const PAYLOAD = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
/** A QoS 1/2 PUBLISH to "t" with PAYLOAD: 2 + 2 + 1 + 2 + 8 bytes. */
const PUBLISH_SIZE = 15;

test("malformed input to a client reconnected every time allocates nothing", () => {
  const runner = new FuzzRunner();
  const generator = new Generator();
  const c = new FuzzCase();
  const client = new MqttClient({
    clientId: "fuzz",
    keepalive: 60,
    receiveBufferSize: 128,
    maxPacketSize: 128,
    transmitBufferSize: 1024,
    inflight: 4,
    queueSlots: 8,
    subscriptions: 4,

    reconnectPeriod: 1000,
    reconnectPeriodMax: 1000,
    random: () => 0.5,
    ...runner.rec.callbacks,
  });
  client.subscribe([
    { topic: "a/+", qos: 1 },
    { topic: "b/#", qos: 2 },
  ]);
  const topic = new TopicHandle("t");
  const outbox = outboxOf(client);
  client.start(NOW);
  const violations = new Int32Array(VIOLATIONS);
  const ends = new Int32Array(4); // connected, 0x81, 0x82, 0x95
  let index = 0;
  let connects = 0;
  let other = 0;
  let bytes = 0;
  const m = measure(() => {
    // Reconnect: the last case left the client connected or asking for its transport to close.
    if (client.state !== ClientState.Waiting || client.wantsClose) client.closed(NOW);
    client.poll(NOW + 2000);
    if (client.shouldOpen(NOW + 2000)) {
      client.opened(NOW);
      drain(client, -1, null); // CONNECT
      client.receive(CONNACK, 0, 4, NOW);
      if (client.state === ClientState.Connected) connects++;
    }
    let qos: 1 | 2 = 1;
    // Keep QoS 1/2 messages in the outbox, publishing only what it takes: a refused publish allocates on XS
    // run from source (see the last case here), which is not the error path measured here.
    for (let k = 0; k < 6 && client.queuedCount() < 6 && outbox.fits(PUBLISH_SIZE); k++) {
      client.publish(topic, PAYLOAD, qos, false, 0, 8);
      qos = qos === 1 ? 2 : 1;
    }
    drain(client, -1, null); // SUBSCRIBE, the publishes
    runner.rec.reset();
    // The malformed case, split and drained as generated.
    generator.generate(c, SEED, index++, true);
    c.fixture = Fixture.Fresh;
    bytes += c.length;
    const v = runner.schedule(client, c, RunKind.Split);
    violations[v]++;
    const state = client.state;
    if (state === ClientState.Connected) ends[0]++;
    else if (client.lastReason === 0x81) ends[1]++;
    else if (client.lastReason === 0x82) ends[2]++;
    else if (client.lastReason === 0x95) ends[3]++;
    else other++;
  });
  report("measure", m);
  report("violations", Array.from(violations));
  report("ends", { connected: ends[0], malformed: ends[1], protocolError: ends[2], tooLarge: ends[3], other });
  report("bytes", bytes);
  assertEqual(connects, 10_100, "reconnected for every case");
  assertEqual(other, 0, "ends other than connected, 0x81, 0x82, 0x95");
  // Most cases must take an error path: that is what this measures.
  assertTrue(ends[1] + ends[2] + ends[3] > 7000, "cases ending in a protocol error: " + (ends[1] + ends[2] + ends[3]));
  assertTrue(ends[1] > 2000 && ends[2] > 1000 && ends[3] > 100, "each error reason reached");
  assertNoAllocation(m, "malformed input and reconnect");
});

test("malformed input framed and decoded (whole, then split) allocates nothing", () => {
  const runner = new FuzzRunner();
  const generator = new Generator();
  const c = new FuzzCase();
  let index = 0;
  let errors = 0;
  let violations = 0;
  let packets = 0;
  const m = measure(() => {
    generator.generate(c, SEED + 1, index++, true);
    violations += runner.runDecoder(c) !== 0 ? 1 : 0;
    errors += runner.decodeError !== 0 ? 1 : 0;
    packets += runner.decodedPackets;
  });
  report("measure", m);
  report("counts", { errors, packets, violations });
  assertEqual(violations, 0, "decoder violations");
  assertTrue(errors > 5000, "cases ending in a DecodeError: " + errors);
  assertNoAllocation(m, "malformed input to FrameReader + decodePacket");
});

// Found while writing the loop above: a publish refused by a full outbox compared the queuePolicy string on
// every call (64 chunk bytes on XS run from source); the policy is a number now. test/xs/fuzz.test.ts asserts
// that this allocates nothing.
test("a publish refused by a full outbox: allocation measured", () => {
  const client = new MqttClient({ clientId: "full", queueSlots: 2 });
  client.start(NOW);
  const topic = new TopicHandle("t");
  client.publish(topic, PAYLOAD, 1);
  client.publish(topic, PAYLOAD, 1);
  let result = 0;
  const m = measure(() => {
    result = client.publish(topic, PAYLOAD, 1);
  });
  report("measure", m);
  assertEqual(result, -100, "QueueFull");
});

await run();
