// Runs on XS: computrons and allocation per client operation, net of the measuring loop's own cost:
// a QoS 1 round trip (publish, write, PUBACK in, acked), a QoS 0 publish, an inbound QoS 1 dispatch.
import { MqttClient, TopicHandle } from "../../firmware/mqtt/index.js";
import type { MessageView } from "../../firmware/mqtt/client/message.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";
import { held, measure, report, run, test, type Measure } from "../../test/xs/suites/harness.js";
import { utf8 } from "../../test/vectors/codec-vectors.js";
import { PAYLOAD, TOPIC } from "../telemetry-packet.js";
// Written by bench/client-xs.ts from boards/*.json before this runs: each board's "client" options.
import boards from "./boards.generated.js";

const now = 1_000_000;
let delivered = 0;
const onMessage = (m: MessageView) => {
  delivered += m.payloadLength;
};
const client = new MqttClient({ clientId: "bench", onMessage });
client.start(now);
client.shouldOpen(now);
client.opened(now);
drain();
client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, now);
client.subscribe([{ topic: "devices/+/cmd/#", qos: 1, onMessage }]);
drain();
client.receive(Uint8Array.of(0x90, 3, 0, 1, 1), 0, 5, now);

function drain(): void {
  for (let length = client.outputLength(); length > 0; length = client.outputLength()) client.written(length, now);
}

const topic = new TopicHandle(TOPIC);
const payload = utf8(PAYLOAD);
const puback = Uint8Array.of(0x40, 2, 0, 0);
const inbound = new Uint8Array(4 + 26 + 2 + 48);
{
  const name = utf8("devices/esp32-a1b2c3/cmd/x"); // 26 bytes
  inbound[0] = 0x32;
  inbound[1] = inbound.length - 2;
  inbound[3] = name.length;
  inbound.set(name, 4);
  inbound[31] = 7;
  inbound.set(payload, 32);
}

function net(m: Measure, empty: Measure) {
  return { computrons: m.computronsPerIteration - empty.computronsPerIteration, slots: m.slotsPeak, chunkBytes: m.chunksPeak };
}

/** Slots and chunk bytes a client holds after construction, with these options: its whole RAM on XS. */
function clientHeld(options: ClientOptions): { slots: number; chunkBytes: number } {
  return held(() => new MqttClient(options));
}

test("client memory", () => {
  report("defaults", clientHeld({ clientId: "esp32-a1b2c3" }));
  report("small", clientHeld({ clientId: "esp32-a1b2c3", receiveBufferSize: 512, transmitBufferSize: 1024, inflight: 4, queueSlots: 8, subscriptions: 4 }));
  report("large", clientHeld({ clientId: "esp32-a1b2c3", receiveBufferSize: 4096, transmitBufferSize: 16384, inflight: 16, queueSlots: 64, subscriptions: 16 }));
  for (const board of boards) report("board " + board.name, clientHeld({ clientId: "esp32-a1b2c3", ...board.client }));
});

test("client figures", () => {
  const empty = measure(() => {});
  const qos1 = measure(() => {
    const id = client.publish(topic, payload, 1);
    drain();
    puback[2] = id >> 8;
    puback[3] = id & 0xff;
    client.receive(puback, 0, 4, now);
  });
  const qos0 = measure(() => {
    client.publish(topic, payload, 0);
    drain();
  });
  const dispatch = measure(() => {
    client.receive(inbound, 0, inbound.length, now);
    drain();
  });
  if (delivered === 0) throw new Error("nothing was delivered");
  report("qos1RoundTrip", net(qos1, empty));
  report("qos0Publish", net(qos0, empty));
  report("inboundQos1", net(dispatch, empty));
});

await run();
