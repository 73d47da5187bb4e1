// Integration over real TCP with the embedded broker (aedes, in this process) and MQTT.js as the peer.
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Device } from "../../firmware/app.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "../../host-sim/broker.js";
import { SimNetwork } from "../../host-sim/network.js";
import { SimSHT3x } from "../../host-sim/sensors.js";
import { simulatedDevice } from "../../host-sim/simulated-device.js";
import { counter, publishNumbered, randomDrops, simClient, waitFor } from "./sim.js";

let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await startEmbeddedBroker();
});
afterAll(async () => {
  await broker.close();
});

describe("with aedes (embedded broker)", () => {
  it("the device app's telemetry and retained status reach an MQTT.js subscriber", async () => {
    const network = new SimNetwork({ name: "dev-1" });
    const device = new Device(
      {
        deviceId: "dev-1",
        broker: { host: "127.0.0.1", port: broker.port },
        client: { reconnectPeriod: 100 },
        sensors: [
          {
            name: "sht3x",
            sensor: new SimSHT3x({ seed: 5 }),
            intervalMs: 50,
            readings: [
              { key: "temperature", quantity: "thermometer", property: "temperature", decimals: 2 },
              { key: "humidity", quantity: "hygrometer", property: "humidity", decimals: 1 },
            ],
          },
        ],
        clock: () => Date.now(),
      },
      simulatedDevice(network),
    );
    const received: { topic: string; payload: string; retain: boolean }[] = [];
    const subscriber = await mqtt.connectAsync(broker.url);
    subscriber.on("message", (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await subscriber.subscribeAsync("devices/dev-1/#", { qos: 1 });
    device.start();
    try {
      await waitFor(() => received.filter((m) => m.topic.endsWith("/telemetry/sht3x")).length >= 5, 10_000, "5 telemetry messages");
      const telemetry = received.filter((m) => m.topic === "devices/dev-1/telemetry/sht3x").map((m) => JSON.parse(m.payload));
      for (const t of telemetry) {
        expect(t.temperature).toBeGreaterThanOrEqual(15);
        expect(t.temperature).toBeLessThanOrEqual(30);
        expect(t.humidity).toBeGreaterThanOrEqual(20);
        expect(t.humidity).toBeLessThanOrEqual(70);
        expect(Math.abs(t.ts - Date.now())).toBeLessThan(60_000);
      }
      const seqs = telemetry.map((t) => t.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(received.find((m) => m.topic === "devices/dev-1/status")?.payload).toBe("online");
      // A late subscriber gets the status as a retained message.
      const late = await mqtt.connectAsync(broker.url);
      const retained = new Promise<{ payload: string; retain: boolean }>((resolve) => late.on("message", (_t, p, packet) => resolve({ payload: p.toString(), retain: packet.retain })));
      await late.subscribeAsync("devices/dev-1/status");
      expect(await retained).toEqual({ payload: "online", retain: true });
      await late.endAsync();
    } finally {
      device.stop();
      await subscriber.endAsync();
    }
  });

  it("a device that stops cleanly leaves its status retained as offline", async () => {
    const device = new Device(
      { deviceId: "dev-stop", broker: { host: "127.0.0.1", port: broker.port }, discovery: false, sensors: [] },
      simulatedDevice(new SimNetwork({ name: "dev-stop" })),
    );
    device.start();
    await waitFor(() => device.client.stats.acked >= 1, 5000, "online acked");
    device.stop(); // DISCONNECT: the broker drops the will, so the app says "offline" itself
    await new Promise((r) => setTimeout(r, 200));
    const late = await mqtt.connectAsync(broker.url);
    const retained = new Promise<string>((resolve) => late.on("message", (_t, p) => resolve(p.toString())));
    await late.subscribeAsync("devices/dev-stop/status");
    expect(await retained).toBe("offline");
    await late.endAsync();
  });

  it("QoS 1: 10,000 messages through random link drops, all delivered", async () => {
    const sub = await counter(broker.url, "bulk/aedes/q1", 1, { clientId: "aedes-q1-sub", clean: false });
    const pub = simClient("aedes-q1-pub", { host: "127.0.0.1", port: broker.port }, { clean: false, inflight: 16, queueSlots: 256, transmitBufferSize: 16_384 });
    pub.connection.start();
    const drops = randomDrops(pub, 50, 250);
    try {
      const publishing = publishNumbered(pub, "bulk/aedes/q1", 10_000, 1);
      await waitFor(() => pub.client.stats.acked >= 3000, 30_000, "3,000 acked");
      pub.network.drop(); // at least this one, whatever the random ones do
      await publishing;
      await waitFor(() => pub.client.queuedCount() === 0 && sub.counts.size === 10_000, 60_000, "all 10,000 delivered");
      const dropped = drops.stop();
      console.log(`aedes QoS 1: 10,000 sent, ${sub.counts.size} distinct received, ${sub.duplicates()} duplicates (allowed at QoS 1), ${dropped} link drops, ${pub.client.stats.resent} resent`);
      expect(sub.counts.size).toBe(10_000);
      expect(pub.client.stats.acked).toBe(10_000);
      expect(pub.client.stats.connects).toBeGreaterThanOrEqual(2);
    } finally {
      drops.stop();
      pub.connection.stop();
      await sub.close();
    }
  });
});
