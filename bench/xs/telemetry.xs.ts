// Runs on XS: computrons and allocation for one telemetry sample formatted and published, net of the
// measuring loop's own cost: Telemetry.run() (read the sensor, report-by-exception check, JSON into the
// fixed buffer, client.publish) plus writing the PUBLISH out, and at QoS 1 its PUBACK coming back.
// The sensor is the simulated SHT3x (firmware/telemetry/sim/sht3x.ts), as in the XS allocation test: its
// sample() reuses one object, where the SDK's drivers make a new one per sample (the driver's cost, not
// ours). The payload is {"ts":...,"seq":...,"temperature":..,"humidity":..} on devices/esp32-a1b2c3/telemetry/sht3x.
import { MqttClient } from "../../firmware/mqtt/index.js";
import SHT3x from "../../firmware/telemetry/sim/sht3x.js";
import { Telemetry } from "../../firmware/telemetry/telemetry.js";
import { measure, report, run, test, type Measure } from "../../test/xs/suites/harness.js";

let now = 1_000_000;
const ts = 1_732_460_000_123;
const clock = () => ts;
const puback = Uint8Array.of(0x40, 2, 0, 0);
let lastId = 0;
let lastLength = 0;
const onPublished = (_sensor: string, id: number) => {
  lastId = id;
};

function drain(client: MqttClient): void {
  for (let length = client.outputLength(); length > 0; length = client.outputLength()) client.written(length, now);
}

function connected(): MqttClient {
  const client = new MqttClient({ clientId: "esp32-a1b2c3", random: () => 0.5 });
  client.start(now);
  client.shouldOpen(now);
  client.opened(now);
  drain(client);
  client.receive(Uint8Array.of(0x20, 2, 0, 0), 0, 4, now);
  return client;
}

function net(m: Measure, empty: Measure) {
  return { computrons: m.computronsPerIteration - empty.computronsPerIteration, slots: m.slotsPeak, chunkBytes: m.chunksPeak };
}

test("telemetry figures", () => {
  const empty = measure(() => {});
  const figures = (qos: 0 | 1) => {
    const client = connected();
    const telemetry = new Telemetry(
      client, "devices/esp32-a1b2c3",
      [{ name: "sht3x", kind: "SHT3x", sensor: new SHT3x({ seed: 7 }), intervalMs: 1000, qos }],
      clock, { onPublished },
    );
    const m = measure(() => {
      now += 1000;
      telemetry.run(0, now);
      drain(client);
      if (qos === 1) {
        puback[2] = lastId >> 8;
        puback[3] = lastId & 0xff;
        client.receive(puback, 0, 4, now);
      }
    });
    if (telemetry.tasks[0].sent !== 10100 || client.queuedCount() !== 0) throw new Error("not every sample was published and finished");
    lastLength = telemetry.json.length;
    return net(m, empty);
  };
  // Of which: the sensor read and the JSON formatting alone (no publish).
  {
    const telemetry = new Telemetry(connected(), "devices/esp32-a1b2c3", [{ name: "sht3x", kind: "SHT3x", sensor: new SHT3x({ seed: 7 }), intervalMs: 1000 }], clock);
    const task = telemetry.tasks[0];
    const json = telemetry.json;
    const keyTs = Uint8Array.of(0x74, 0x73); // "ts"
    const keySeq = Uint8Array.of(0x73, 0x65, 0x71); // "seq"
    const m = measure(() => {
      task.read();
      task.write(json, ts, keyTs, keySeq);
    });
    report("format", net(m, empty));
  }
  report("qos0", figures(0));
  report("qos1", figures(1));
  report("payloadBytes", lastLength);
});

await run();
