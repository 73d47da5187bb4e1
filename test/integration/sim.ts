/**
 * Test helpers: our client over the simulated device modules (real TCP underneath), MQTT.js subscribers
 * as peers, and a publisher that pushes N numbered messages through whatever the network does.
 */
import mqtt, { type MqttClient as MqttJsClient } from "mqtt";
import { MqttClient } from "../../firmware/mqtt/index.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";
import type { QoS } from "../../firmware/mqtt/codec/packet.js";
import { ClientError } from "../../firmware/mqtt/index.js";
import { MqttConnection, type BrokerAddress } from "../../firmware/net/connection.js";
import { SimNetwork } from "../../host-sim/network.js";
import { simulatedDevice } from "../../host-sim/simulated-device.js";

export interface SimClient {
  client: MqttClient;
  connection: MqttConnection;
  network: SimNetwork;
  events: string[];
}

/** Our client on its own simulated network; events (connected/disconnected/error) are recorded. */
export function simClient(name: string, broker: BrokerAddress, options: Partial<ClientOptions> = {}): SimClient {
  const network = new SimNetwork({ name });
  const events: string[] = [];
  const client = new MqttClient({
    clientId: name,
    reconnectPeriod: 100,
    reconnectPeriodMax: 1000,
    stableAfter: 100, // links drop every few hundred ms here: start each backoff afresh
    ...options,
    onConnected: (present, properties) => {
      events.push("connected " + (present ? 1 : 0));
      options.onConnected?.(present, properties);
    },
    onDisconnected: (reason) => {
      events.push("disconnected 0x" + reason.toString(16));
      options.onDisconnected?.(reason);
    },
    onError: (code) => {
      events.push("error " + (code < 0 ? code : "0x" + code.toString(16)));
      options.onError?.(code);
    },
  });
  const connection = new MqttConnection(client, broker, simulatedDevice(network));
  return { client, connection, network, events };
}

/** Resolves when `predicate` holds, polling every 10 ms; rejects with `what` after timeoutMs. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An MQTT.js subscriber that counts the numbered messages (payload: the decimal number) it receives. */
export async function counter(url: string, topic: string, qos: QoS, options: mqtt.IClientOptions = {}) {
  const counts = new Map<number, number>();
  const client: MqttJsClient = await mqtt.connectAsync(url, { reconnectPeriod: 100, connectTimeout: 5000, ...options });
  client.on("message", (_topic, payload) => {
    const n = Number(payload.toString());
    counts.set(n, (counts.get(n) ?? 0) + 1);
  });
  await client.subscribeAsync(topic, { qos });
  return {
    client,
    counts,
    /** Messages received more than once. */
    duplicates: () => [...counts.values()].reduce((sum, c) => sum + (c > 1 ? c - 1 : 0), 0),
    close: () => client.endAsync(true),
  };
}

/**
 * Publishes messages 0..total-1 (payload: the number) at `qos` through `sim`, as fast as its outbox takes
 * them; resolves once all are queued. A full outbox (QueueFull) waits for acks, as an app would.
 */
export async function publishNumbered(sim: SimClient, topic: string, total: number, qos: QoS, from = 0): Promise<void> {
  const handle = sim.client.topic(topic);
  let next = from;
  while (next < total) {
    const result = sim.client.publish(handle, String(next), qos);
    if (result === ClientError.QueueFull) {
      sim.connection.service();
      await sleep(2);
      continue;
    }
    if (result < 0) throw new Error("publish refused: " + result);
    next++;
    if (next % 64 === 0) {
      sim.connection.service();
      await new Promise((r) => setImmediate(r));
    }
  }
  sim.connection.service();
}

/** Drops `sim`'s link at random intervals until stopped; returns how many drops it made. */
export function randomDrops(sim: SimClient, minMs: number, maxMs: number): { stop: () => number } {
  let drops = 0;
  let timer: NodeJS.Timeout;
  const arm = () => {
    timer = setTimeout(() => {
      if (sim.network.drop() > 0) drops++;
      arm();
    }, minMs + Math.random() * (maxMs - minMs));
  };
  arm();
  return {
    stop: () => {
      clearTimeout(timer);
      return drops;
    },
  };
}
