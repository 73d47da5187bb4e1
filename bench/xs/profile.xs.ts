// Runs on XS: where a client operation's computrons go, step by step (computrons are deterministic, so each
// step is measured alone, once per run, over 20 runs, net of the probe's own 39): what bench/client-xs.ts
// gives as the cause beside a computron target it misses. The steps are the client's own calls in the
// order a transport makes them (publish, outputLength, outputBuffer/outputOffset, written, the empty
// outputLength that ends the drain), and inside them the codec's parts alone: for a QoS 0 publish, a QoS 1
// round trip (each PUBLISH acknowledged before the next step, so the client stays connected), and an
// inbound QoS 1 PUBLISH (receive, frame, decode, dispatch, the PUBACK out).
import { MqttClient, TopicHandle } from "../../firmware/mqtt/index.js";
import { ClientState } from "../../firmware/mqtt/client/lifecycle.js";
import { encodePublish } from "../../firmware/mqtt/codec/packets/publish.js";
import { measure, report, run, test } from "../../test/xs/suites/harness.js";
import { PAYLOAD, TOPIC } from "../telemetry-packet.js";
import { utf8 } from "../../test/vectors/codec-vectors.js";
import { FrameReader } from "../../firmware/mqtt/codec/frame.js";
import { decodePacket } from "../../firmware/mqtt/codec/decode.js";
import { IncomingPacket } from "../../firmware/mqtt/codec/packet.js";
import type { MessageView } from "../../firmware/mqtt/client/message.js";

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
  decodePacket(inboundPublish, frameReader, decoded, 4);
  report("inbound", {
    whole: step(none, inAndDrain),
    receive: step(drain, () => client.receive(inboundPublish, 0, inboundPublish.length, now)),
    frameRead: step(none, () => frameReader.read(inboundPublish, 0, inboundPublish.length)),
    decode: step(none, () => decodePacket(inboundPublish, frameReader, decoded, 4)),
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
});

function connected(): boolean {
  return client.state === ClientState.Connected;
}

await run();
