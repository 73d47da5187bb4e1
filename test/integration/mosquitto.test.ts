// Integration over real TCP (and TLS) with Debian's mosquitto, spawned per suite on a free loopback port,
// with MQTT.js and mosquitto_sub as peers. Without mosquitto: skipped loudly, or failed under CI.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DisconnectReason } from "../../firmware/mqtt/status.js";
import { makeCertificates, Mosquitto, mosquittoAvailable, type Certificates } from "./mosquitto.js";
import { counter, publishNumbered, randomDrops, simClient, sleep, waitFor } from "./sim.js";

const run = promisify(execFile);
const available = mosquittoAvailable();

describe.skipIf(!available)("with mosquitto", () => {
  let certs: Certificates;
  let certDir: string;
  let broker: Mosquitto;
  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), "mqtt-xs-certs-"));
    certs = makeCertificates(certDir);
    broker = await Mosquitto.start({ users: { device: "right-password", peer: "peer-password" }, tls: certs });
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(certDir, { recursive: true, force: true });
  });
  const plain = () => ({ host: "127.0.0.1", port: broker.port });
  const peer = { username: "peer", password: "peer-password" };

  it("retained status and the last will are seen by an MQTT.js subscriber and mosquitto_sub", async () => {
    const device = simClient("will-device", plain(), {
      username: "device",
      password: "right-password",
      will: { topic: "devices/will-device/status", payload: "offline", qos: 1, retain: true },
      onConnected: () => {
        device.client.publish("devices/will-device/status", "online", 1, true);
        device.connection.service();
      },
    });
    device.connection.start();
    await waitFor(() => device.client.stats.acked === 1, 5000, "the retained status acked");
    const sub = await run("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(broker.port), "-u", "peer", "-P", "peer-password", "-t", "devices/will-device/status", "-C", "1", "-v", "-W", "5"]);
    expect(sub.stdout.trim()).toBe("devices/will-device/status online");
    const watcher = await mqtt.connectAsync(broker.url, peer);
    const seen: string[] = [];
    watcher.on("message", (_t, payload, packet) => seen.push(payload.toString() + (packet.retain ? " (retained)" : "")));
    await watcher.subscribeAsync("devices/will-device/status", { qos: 1 });
    await waitFor(() => seen.length === 1, 5000, "the retained status");
    expect(seen).toEqual(["online (retained)"]);
    // Killed: the link goes and the device never comes back, so the broker publishes the will.
    device.network.wifiDown();
    device.network.drop();
    await waitFor(() => seen.length === 2, 10_000, "the will");
    expect(seen[1]).toBe("offline");
    device.connection.stop();
    await watcher.endAsync();
  });

  it("a bad password is reported clearly and not retried in a tight loop", async () => {
    const device = simClient("bad-password", plain(), { username: "device", password: "wrong", reconnectPeriod: 50, reconnectPeriodMax: 5000 });
    device.connection.start();
    await waitFor(() => device.events.length >= 2, 5000, "the refusal");
    await sleep(2000);
    device.connection.stop();
    // mosquitto refuses a wrong password with CONNACK 5 (not authorised) under MQTT 3.1.1: reason 0x87.
    expect(device.events.slice(0, 2)).toEqual(["error 0x87", "disconnected 0x87"]);
    expect(device.network.stats.connects).toBe(1); // one attempt in 2 s: the next waits reconnectPeriodMax
    expect(device.client.stats.connects).toBe(0);
  });

  it("TLS: the right CA connects; a wrong CA is refused", async () => {
    const good = simClient("tls-good", { host: "127.0.0.1", port: broker.tlsPort, tls: true, ca: certs.ca, serverName: "localhost" }, { username: "device", password: "right-password" });
    good.connection.start();
    await waitFor(() => good.client.stats.connects === 1, 5000, "a TLS connection");
    good.connection.stop();
    const bad = simClient("tls-bad", { host: "127.0.0.1", port: broker.tlsPort, tls: true, ca: certs.otherCa, serverName: "localhost" }, { username: "device", password: "right-password" });
    bad.connection.start();
    await waitFor(() => bad.network.stats.connectFailures >= 1, 5000, "the refusal");
    bad.connection.stop();
    expect(bad.client.stats.connects).toBe(0);
    expect(bad.events).toContain("disconnected 0x" + DisconnectReason.ConnectionLost.toString(16));
  });

  for (const qos of [1, 2] as const) {
    it(`QoS ${qos}: 10,000 messages through random link drops and two broker restarts, all delivered${qos === 2 ? " exactly once" : ""}`, async () => {
      const topic = `bulk/mosquitto/q${qos}`;
      const sub = await counter(broker.url, topic, qos, { ...peer, clientId: `q${qos}-sub`, clean: false });
      const pub = simClient(`q${qos}-pub`, plain(), { username: "device", password: "right-password", clean: false, inflight: 16, queueSlots: 256, transmitBufferSize: 16_384 });
      pub.connection.start();
      const drops = randomDrops(pub, 50, 250);
      const publishing = publishNumbered(pub, topic, 10_000, qos);
      await waitFor(() => pub.client.stats.acked >= 3000, 60_000, "3,000 acked");
      await broker.restart(200);
      await waitFor(() => pub.client.stats.acked >= 6500, 60_000, "6,500 acked");
      await broker.restart(200);
      await publishing;
      await waitFor(() => pub.client.queuedCount() === 0 && sub.counts.size === 10_000, 90_000, "all 10,000 delivered");
      await sleep(300); // any late duplicate would arrive now
      const dropped = drops.stop();
      const duplicates = sub.duplicates();
      console.log(`mosquitto QoS ${qos}: 10,000 sent, ${sub.counts.size} distinct received, ${duplicates} duplicates, ${dropped} link drops, 2 broker restarts, ${pub.client.stats.resent} resent, ${pub.client.stats.connects} connections`);
      expect(sub.counts.size).toBe(10_000);
      expect(pub.client.stats.acked).toBe(10_000);
      if (qos === 2) expect(duplicates).toBe(0);
      pub.connection.stop();
      await sub.close();
    });
  }

  it("inbound: messages from mosquitto_pub at QoS 2 reach our client's handler once each, through link drops", async () => {
    const got = new Map<string, number>();
    let granted = -1;
    const device = simClient("inbound-q2", plain(), { username: "device", password: "right-password", clean: false, onSubscribed: (_topic, code) => (granted = code) });
    device.client.subscribe([{ topic: "devices/inbound-q2/cmd/#", qos: 2, onMessage: (m) => got.set(m.payloadString(), (got.get(m.payloadString()) ?? 0) + 1) }]);
    device.connection.start();
    await waitFor(() => granted === 2, 5000, "the SUBACK granting QoS 2"); // before any drop: messages sent before it would have no subscriber
    const drops = randomDrops(device, 20, 80);
    const lines = Array.from({ length: 500 }, (_, i) => `m${i}`).join("\n") + "\n";
    const pub = execFile("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(broker.port), "-u", "peer", "-P", "peer-password", "-q", "2", "-t", "devices/inbound-q2/cmd/x", "-l"]);
    pub.stdin!.end(lines);
    await new Promise((resolve) => pub.on("exit", resolve));
    await waitFor(() => got.size === 500, 20_000, "500 messages");
    const dropped = drops.stop();
    await sleep(300);
    console.log(`mosquitto_pub QoS 2 -> our client: 500 sent, ${got.size} distinct received, ${[...got.values()].filter((c) => c > 1).length} duplicates, ${dropped} link drops, ${device.client.stats.inboundDeferred} left unacknowledged for a later reconnect`);
    expect([...got.values()].every((c) => c === 1)).toBe(true);
    device.connection.stop();
  });

  it("QoS 0 through a fault: the loss is counted and nothing crashes", async () => {
    const topic = "bulk/mosquitto/q0";
    const sub = await counter(broker.url, topic, 0, peer);
    const pub = simClient("q0-pub", plain(), { username: "device", password: "right-password", queueSlots: 256, transmitBufferSize: 16_384 });
    pub.connection.start();
    await waitFor(() => pub.client.stats.connects === 1, 5000, "connected");
    await publishNumbered(pub, topic, 2500, 0);
    pub.network.drop(); // the link goes with whatever is being written
    await publishNumbered(pub, topic, 5000, 0, 2500);
    await waitFor(() => pub.client.queuedCount() === 0, 20_000, "the outbox drained");
    await sleep(500);
    const received = sub.counts.size;
    const lost = 5000 - received;
    console.log(`mosquitto QoS 0: 5,000 published, ${pub.client.stats.sent} written, ${received} received, ${lost} lost, ${pub.client.stats.dropped} counted dropped by the client`);
    expect(received).toBeLessThanOrEqual(5000);
    expect(pub.client.stats.sent + pub.client.stats.dropped).toBe(5000);
    expect(pub.client.stats.connects).toBeGreaterThanOrEqual(2); // it came back after the drop
    pub.connection.stop();
    await sub.close();
  });
});
