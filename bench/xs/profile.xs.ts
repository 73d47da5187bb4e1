// Runs on XS: where a client operation's computrons go, step by step (computrons are deterministic, so each
// step is measured alone, once per run, over 20 runs, net of the probe's own 39): what bench/client-xs.ts
// gives as the cause beside a computron target it misses. The steps are the client's own calls in the
// order a transport makes them (publish, outputLength, outputBuffer/outputOffset, written, the empty
// outputLength that ends the drain), and inside them the codec's parts alone: for a QoS 0 publish, a QoS 1
// round trip (each PUBLISH acknowledged before the next step, so the client stays connected), and an
// inbound QoS 1 PUBLISH (receive, frame, decode, dispatch, the PUBACK out). A second case, "profile
// telemetry", takes bench/xs/telemetry.xs.ts's QoS 0 sample apart: Telemetry.run() and the drain, then the
// read, the deadband decision, write() and each of its parts, the hand-off to the client.
import { MqttClient, TopicHandle } from "../../firmware/mqtt/index.js";
import { ClientState } from "../../firmware/mqtt/client/lifecycle.js";
import { encodePublish } from "../../firmware/mqtt/codec/packets/publish.js";
import { measure, report, run, test } from "../../test/xs/suites/harness.js";
import { PAYLOAD, TOPIC } from "../telemetry-packet.js";
import { utf8 } from "../../test/vectors/codec-vectors.js";
import { FrameReader } from "../../firmware/mqtt/codec/frame.js";
import { decodePacket } from "../../firmware/mqtt/codec/decode.js";
import { topicMatches, validateTopicName } from "../../firmware/mqtt/codec/topic.js";
import { IncomingPacket } from "../../firmware/mqtt/codec/packet.js";
import type { MessageView } from "../../firmware/mqtt/client/message.js";
import SHT3x from "../../firmware/telemetry/sim/sht3x.js";
import { Telemetry } from "../../firmware/telemetry/telemetry.js";

const now = 1_000_000;
let delivered = 0;
const onMessage = (m: MessageView): void => {
  delivered += m.payloadLength;
};
const client = new MqttClient({ clientId: "bench", onMessage });
client.start(now);
client.shouldOpen(now);
client.opened(now);
drain();
client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, now);
client.subscribe([{ topic: "devices/+/cmd/#", qos: 1, onMessage }]); // as bench/xs/client.xs.ts
drain();
client.receive(Uint8Array.of(0x90, 3, 0, 1, 1), 0, 5, now);

function drain(): void {
  for (let length = client.outputLength(); length > 0; length = client.outputLength()) client.written(length, now);
}

const topic = new TopicHandle(TOPIC);
const payload = utf8(PAYLOAD);
const scratch = new Uint8Array(256);
const wide = new Uint8Array(256); // a payload given as a range of a larger buffer, as telemetry's JSON is
wide.set(payload);
const puback = Uint8Array.of(0x40, 2, 0, 0);
const inner = client as unknown as {
  outbound: { publish(...args: unknown[]): number; ids: { next(): number }; complete(type: number, id: number, code: number): number };
  input: { rx: { buffer: Uint8Array; head: number; tail: number; commit(n: number): void; clear(): void }; frame: { read(b: Uint8Array, s: number, e: number): number }; next(): number; packet: IncomingPacket };
  router: { process(now: number): void };
  inbound: { publish(p: IncomingPacket): number; view: MessageView };
  subscriptions: { dispatch(m: MessageView): unknown };
};
// An inbound QoS 1 PUBLISH on a subscribed topic, 48-byte payload, as bench/xs/client.xs.ts sends it.
const inboundPublish = new Uint8Array(4 + 26 + 2 + 48);
{
  const name = utf8("devices/esp32-a1b2c3/cmd/x");
  inboundPublish[0] = 0x32;
  inboundPublish[1] = inboundPublish.length - 2;
  inboundPublish[3] = name.length;
  inboundPublish.set(name, 4);
  inboundPublish[31] = 7;
  inboundPublish.set(payload, 32);
}
const frameReader = new FrameReader(1 << 20);
const decoded = new IncomingPacket();
// The filter and views of both arrays, as the client's subscriptions match in words (topic.ts).
const inboundFilter = utf8("devices/+/cmd/#");
const inboundWords = new DataView(inboundPublish.buffer, inboundPublish.byteOffset, inboundPublish.byteLength);
const filterWords = new DataView(inboundFilter.buffer, inboundFilter.byteOffset, inboundFilter.byteLength);
let matched = false; // what topicMatches answered, kept so the call is not dead code

/** fn's computrons, run once after setup(), averaged over `runs`. */
function step(setup: () => void, fn: () => void, runs = 20): number {
  let total = 0;
  for (let i = 0; i < runs; i++) {
    setup();
    total += measure(fn, 1, 0).computrons - 17 - 22;
  }
  return Math.round(total / runs);
}
const none = (): void => {};
let id = 0;
let length = 0;

test("profile", () => {
  if (!connected()) throw new Error("the client is not connected: the profile would measure a refusal");
  for (let i = 0; i < 200; i++) {
    client.publish(topic, payload, 0);
    drain();
  }
  const queued0 = (): void => {
    drain();
    client.publish(topic, payload, 0);
  };
  report("qos0", {
    whole: step(none, () => {
      client.publish(topic, payload, 0);
      drain();
    }),
    publish: step(drain, () => client.publish(topic, payload, 0)),
    publishRange: step(drain, () => client.publish(topic, wide, 0, false, 0, payload.length)),
    encode: step(none, () => encodePublish(scratch, 0, topic.bytes, payload, 0, payload.length, 0, false, false, 0, null, 0)),
    outputLength: step(queued0, () => client.outputLength()),
    bufferAndOffset: step(
      () => {
        queued0();
        client.outputLength();
      },
      () => {
        client.outputBuffer();
        client.outputOffset();
      },
    ),
    written: step(
      () => {
        queued0();
        length = client.outputLength();
      },
      () => client.written(length, now),
    ),
    emptyOutputLength: step(drain, () => client.outputLength()),
  });
  // Each QoS 1 PUBLISH is acknowledged before the next step, so the client stays connected (a PUBACK for
  // an id not in flight would be a Protocol Error) and the in-flight window never fills.
  const acked = (): void => {
    drain();
    if (id !== 0) {
      puback[2] = id >> 8;
      puback[3] = id & 0xff;
      client.receive(puback, 0, 4, now);
      id = 0;
    }
  };
  report("qos1", {
    whole: step(acked, () => {
      id = client.publish(topic, payload, 1);
      drain();
      puback[2] = id >> 8;
      puback[3] = id & 0xff;
      client.receive(puback, 0, 4, now);
      id = 0;
    }),
    packetId: step(none, () => inner.outbound.ids.next()),
    publish: step(acked, () => {
      id = client.publish(topic, payload, 1);
    }),
    outputLength: step(
      () => {
        acked();
        id = client.publish(topic, payload, 1);
      },
      () => client.outputLength(),
    ),
    written: step(
      () => {
        acked();
        id = client.publish(topic, payload, 1);
        length = client.outputLength();
      },
      () => client.written(length, now),
    ),
    pubackIn: step(
      () => {
        acked();
        id = client.publish(topic, payload, 1);
        drain();
        puback[2] = id >> 8;
        puback[3] = id & 0xff;
      },
      () => {
        client.receive(puback, 0, 4, now);
        id = 0;
      },
    ),
    pubackProcess: step(
      () => {
        acked();
        id = client.publish(topic, payload, 1);
        drain();
        puback[2] = id >> 8;
        puback[3] = id & 0xff;
        const rx = inner.input.rx;
        rx.buffer.set(puback, rx.tail);
        rx.commit(4);
      },
      () => {
        inner.router.process(now);
        id = 0;
      },
    ),
    pubackComplete: step(
      () => {
        acked();
        id = client.publish(topic, payload, 1);
        drain();
      },
      () => {
        inner.outbound.complete(4, id, 0);
        id = 0;
      },
    ),
  });
  acked();
  if (!connected()) throw new Error("the client lost its connection in the QoS 1 steps: " + JSON.stringify(client.stats));
  // Inbound QoS 1: each step alone, on the bytes bench/xs/client.xs.ts's inboundQos1 receives.
  const rx = inner.input.rx;
  const inAndDrain = (): void => {
    client.receive(inboundPublish, 0, inboundPublish.length, now);
    drain();
  };
  for (let i = 0; i < 50; i++) inAndDrain();
  if (delivered === 0) throw new Error("nothing was delivered");
  const copyIn = (): void => {
    rx.clear();
    rx.buffer.set(inboundPublish, 0);
    rx.commit(inboundPublish.length);
  };
  frameReader.read(inboundPublish, 0, inboundPublish.length);
  decodePacket(inboundPublish, frameReader, decoded, 4, inboundWords);
  report("inbound", {
    whole: step(none, inAndDrain),
    receive: step(drain, () => client.receive(inboundPublish, 0, inboundPublish.length, now)),
    frameRead: step(none, () => frameReader.read(inboundPublish, 0, inboundPublish.length)),
    decode: step(none, () => decodePacket(inboundPublish, frameReader, decoded, 4, inboundWords)), // as Input calls it, with the buffer's view
    topicName: step(none, () => validateTopicName(inboundPublish, 4, 26, inboundWords)), // as decodePublish checks it, in words
    topicNameInBytes: step(none, () => validateTopicName(inboundPublish, 4, 26)), // without a view
    process: step(
      () => {
        drain();
        copyIn();
      },
      () => inner.router.process(now),
    ),
    inboundPublish: step(
      () => {
        drain();
        copyIn();
        inner.input.next();
      },
      () => inner.inbound.publish(inner.input.packet),
    ),
    dispatchMatch: step(none, () => inner.subscriptions.dispatch(inner.inbound.view)),
    topicMatches: step(none, () => {
      matched = topicMatches(inboundFilter, 0, inboundFilter.length, inboundPublish, 4, 26, filterWords, inboundWords);
    }),
    pubackOutputLength: step(
      () => {
        drain();
        client.receive(inboundPublish, 0, inboundPublish.length, now);
      },
      () => client.outputLength(),
    ),
    pubackWritten: step(
      () => {
        drain();
        client.receive(inboundPublish, 0, inboundPublish.length, now);
        length = client.outputLength();
      },
      () => client.written(length, now),
    ),
    emptyOutputLength: step(drain, () => client.outputLength()),
  });
  drain();
  if (!connected() || client.stats.received < 50 + 20 * 4) throw new Error("the inbound steps did not all deliver: " + JSON.stringify(client.stats));
  if (!matched) throw new Error("the inbound topic did not match devices/+/cmd/#");
});

// A telemetry sample, as bench/xs/telemetry.xs.ts publishes it at QoS 0 (its own client, the same device id,
// the simulated SHT3x, the same clock): Telemetry.run() and the drain, then each part of run() alone.
test("profile telemetry", () => {
  const device = new MqttClient({ clientId: "esp32-a1b2c3", random: () => 0.5 });
  const flush = (): void => {
    for (let n = device.outputLength(); n > 0; n = device.outputLength()) device.written(n, now);
  };
  device.start(now);
  device.shouldOpen(now);
  device.opened(now);
  flush();
  device.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, now);
  if (device.state !== ClientState.Connected) throw new Error("the telemetry client is not connected");
  const ts = 1_732_460_000_123;
  const clock = (): number => ts;
  let published = 0;
  const onPublished = (_sensor: string, id: number): void => {
    published += id + 1;
  };
  const telemetry = new Telemetry(
    device, "devices/esp32-a1b2c3",
    [{ name: "sht3x", kind: "SHT3x", sensor: new SHT3x({ seed: 7 }), intervalMs: 1000, qos: 0 }],
    clock, { onPublished },
  );
  const task = telemetry.tasks[0];
  const json = telemetry.json;
  const parts = telemetry as unknown as { ready(): boolean; topics: TopicHandle[]; keyTs: Uint8Array; keySeq: Uint8Array };
  const sampleTopic = parts.topics[0];
  const keyTs = parts.keyTs;
  const keySeq = parts.keySeq;
  const members = (task as unknown as { members: Uint8Array[] }).members;
  const head = task as unknown as { openTs: Uint8Array; seqMember: Uint8Array };
  const values = task.values;
  const decimals = task.decimals;
  let at = now;
  const sample = (): void => {
    at += 1000;
    telemetry.run(0, at);
  };
  for (let i = 0; i < 200; i++) {
    sample();
    flush();
  }
  const written = (): void => {
    flush();
    task.read();
    task.write(json, ts, keyTs, keySeq);
  };
  let decided = false; // what shouldPublish() and ready() answered, kept so the calls are not dead code
  report("telemetry", {
    whole: step(none, () => {
      sample();
      flush();
    }),
    run: step(flush, sample),
    drain: step(sample, flush),
    read: step(none, () => task.read()),
    sensorSample: step(none, () => task.sensor.sample()),
    shouldPublish: step(none, () => {
      decided = task.shouldPublish(at);
    }),
    clock: step(none, () => clock()),
    write: step(none, () => task.write(json, ts, keyTs, keySeq)),
    // write()'s parts, in its order: {"ts":, the timestamp, ,"seq":, seq, each reading's ,"key": and value, }.
    open: step(none, () => json.open(head.openTs)),
    integerTs: step(() => json.open(head.openTs), () => json.integer(ts)),
    seqMember: step(() => {
      json.open(head.openTs);
      json.integer(ts);
    }, () => json.member(head.seqMember)),
    integerSeq: step(() => {
      json.open(head.openTs);
      json.integer(ts);
      json.member(head.seqMember);
    }, () => json.integer(task.seq)),
    members: step(() => {
      json.open(head.openTs);
      json.integer(ts);
      json.member(head.seqMember);
      json.integer(task.seq);
    }, () => json.members(members, values, decimals)),
    end: step(written, () => json.end()),
    ready: step(flush, () => {
      decided = parts.ready();
    }),
    trimUntrim: step(written, () => {
      json.trim();
      json.untrim();
    }),
    trimPublishUntrim: step(written, () => {
      json.trim();
      try {
        device.publish(sampleTopic, json.buffer, 0, false);
      } finally {
        json.untrim();
      }
    }),
    markPublished: step(none, () => task.markPublished(at)),
    onPublished: step(none, () => onPublished("sht3x", 0)),
  });
  flush();
  if (!decided || published === 0 || device.queuedCount() !== 0) throw new Error("the telemetry steps did not all publish");
});

function connected(): boolean {
  return client.state === ClientState.Connected;
}

await run();
