// The flash store on the XS engine: a persisted publish (QoS 1 with PUBACK, QoS 2 with PUBREC, PUBREL,
// PUBCOMP) allocates nothing, the collector's copies included, over 10,000 cycles after warm-up; its
// computrons beside the same cycle without a store; bytes written to flash per message. The flash is a
// RAM array with NOR semantics (an erase sets 0xFF, a write ANDs), as firmware/store-flash.ts gives the SDK's.
// Run by test/xs/store.test.ts; bench/store-xs.ts reports the same figures in npm run bench.
import { MqttClient, TopicHandle } from "../../../firmware/mqtt/index.js";
import { OutboxStore, type FlashArea } from "../../../firmware/mqtt/store/index.js";
import { utf8 } from "../../vectors/codec-vectors.js";
import { connectedClient, drain } from "./fixture.js";
import { assertEqual, assertNoAllocation, assertTrue, measure, report, run, test, type Measure } from "./harness.js";

/** A NOR flash in RAM: reads and writes copy byte by byte (no view), erase fills 0xFF. */
export class RamFlash implements FlashArea {
  readonly bytes: Uint8Array;
  constructor(
    readonly size: number,
    readonly sectorSize: number,
  ) {
    this.bytes = new Uint8Array(size).fill(0xff);
  }
  read(offset: number, into: Uint8Array, at: number, length: number): void {
    const bytes = this.bytes;
    for (let k = 0; k < length; k++) into[at + k] = bytes[offset + k];
  }
  write(offset: number, from: Uint8Array, at: number, length: number): void {
    const bytes = this.bytes;
    for (let k = 0; k < length; k++) bytes[offset + k] &= from[at + k];
  }
  erase(sector: number): void {
    this.bytes.fill(0xff, sector * this.sectorSize, (sector + 1) * this.sectorSize);
  }
}

const now = 1_000_000;
const ack = new Uint8Array(4);
const topicName = "devices/esp32-a1b2c3/telemetry/temperature";
const payload = utf8('{"ts":1732460000123,"seq":42,"temperature":21.4}');

function setAck(first: number, id: number): Uint8Array {
  ack[0] = first;
  ack[1] = 2;
  ack[2] = id >> 8;
  ack[3] = id & 0xff;
  return ack;
}

/** One publish and its acks through the client: the cycle measured. */
function cycle(client: MqttClient, topic: TopicHandle, qos: 1 | 2): void {
  const id = client.publish(topic, payload, qos);
  drain(client, now);
  if (qos === 1) client.receive(setAck(0x40, id), 0, 4, now);
  else {
    client.receive(setAck(0x50, id), 0, 4, now);
    drain(client, now);
    client.receive(setAck(0x70, id), 0, 4, now);
  }
}

export interface StoreFigures {
  qos: number;
  stored: Measure;
  plain: Measure;
  bytesPerMessage: number;
  writesPerMessage: number;
  erasesPer1000: number;
  storeRam: number;
}

/** Measures the persisted cycle and the same cycle without a store; returns the figures. */
export function measureStore(qos: 1 | 2, iterations = 10000): StoreFigures {
  const flash = new RamFlash(16 * 4096, 4096);
  const store = new OutboxStore({ flash });
  const client = connectedClient(now, { clientId: "xs-store", clean: false, store });
  const topic = new TopicHandle(topicName);
  const stats = store.log.stats;
  const before = { bytes: stats.bytesWritten, writes: stats.writes, erases: stats.erases };
  const stored = measure(() => cycle(client, topic, qos), iterations);
  const messages = iterations + 100;
  const plainClient = connectedClient(now, { clientId: "xs-plain", clean: false });
  const plain = measure(() => cycle(plainClient, topic, qos), iterations);
  assertEqual(client.queuedCount(), 0, "outbox empty");
  assertEqual(store.stats.failed, 0, "store failures");
  return {
    qos,
    stored,
    plain,
    bytesPerMessage: (stats.bytesWritten - before.bytes) / messages,
    writesPerMessage: (stats.writes - before.writes) / messages,
    erasesPer1000: ((stats.erases - before.erases) * 1000) / messages,
    storeRam: store.ramBytes(),
  };
}

for (const qos of [1, 2] as const) {
  test("a persisted QoS " + qos + " publish with its acks allocates nothing, collections included", () => {
    const f = measureStore(qos);
    report("figures", f);
    assertTrue(f.erasesPer1000 > 0, "the sectors went round (collections measured)");
    assertNoAllocation(f.stored, "persisted QoS " + qos + " cycle");
  });
}

await run();
