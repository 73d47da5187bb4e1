/**
 * One publishing client of the end-to-end figures, in its own process:
 *
 *   node build/bench/e2e-publisher.js --client ours|mqttjs --qos 0|1|2 --port P [--count 50000] [--host 127.0.0.1]
 *                                     [--transport tcp|ws]
 *
 * It connects, then (under `npm run bench`, over IPC) says {type: "ready"} and waits for {type: "go"};
 * run by hand (no IPC channel) it starts at once. From "go" it publishes `count` telemetry messages
 * (bench/telemetry-packet.ts: the same topic and 48-byte payload for both clients) and reports
 * {type: "done", cpuUs, userUs, systemUs, elapsedMs, ...} (over IPC, and as one JSON line on stdout) once
 * every message is finished from its side: QoS 0 handed to the socket, QoS 1/2 acknowledged. The CPU time
 * is process.cpuUsage() of this process from "go" to that point, user + system.
 *
 * ours: firmware/mqtt/client.ts driven by firmware/net/connection.ts over host-sim's ECMA-419 device
 *   modules (simulatedDevice(new SimNetwork()): the simulator's client, with the lin build's 1,536-byte
 *   socket buffer). It publishes as fast as its outbox accepts: on QueueFull it waits for room (QoS 1/2:
 *   until acks have freed half the slots; QoS 0: one event-loop turn, in which the socket drains).
 *   inflight 64, transmitBufferSize 64 KiB, queueSlots 512.
 * mqttjs: MQTT.js with its own flow. `--window W` (npm run bench passes 64, ours' in-flight limit) keeps at
 *   most W publishes whose callbacks have not fired, refilled from the callbacks; MQTT.js corks the socket
 *   per packet and uncorks on the next tick, so each refill goes out as one writev. Without --window every
 *   publish() is made at once and MQTT.js queues them itself (QoS 1/2 have no in-flight limit in MQTT.js):
 *   measured standalone here, that is about 40x slower at QoS 0 (a 'drain' listener per publish: the
 *   MaxListeners warning), about 10x slower at QoS 2 (the broker tracking 50,000 in flight), and about 10%
 *   faster at QoS 1; the window is the fair setting overall.
 * --transport ws (the WebSocket rows, to aedes over `ws` at ws://host:port/mqtt): ours connects with
 *   `websocket: "/mqtt"` beside host and port, so MqttConnection puts firmware/net/ws/ (webSocketOver, its
 *   default 1,024-byte receive ring and stage) over host-sim's TCP, as connect("ws://...") does; MQTT.js
 *   connects to the ws:// URL (its own `ws` stream). Everything else as over TCP.
 */
import mqtt from "mqtt";
import { MqttClient } from "../firmware/mqtt/index.js";
import type { QoS } from "../firmware/mqtt/codec/packet.js";
import { ClientError } from "../firmware/mqtt/index.js";
import { MqttConnection } from "../firmware/net/connection.js";
import { SimNetwork } from "../host-sim/network.js";
import { simulatedDevice } from "../host-sim/simulated-device.js";
import { PAYLOAD, TOPIC } from "./telemetry-packet.js";

export interface PublisherReport {
  type: "done";
  client: string;
  qos: number;
  count: number;
  /** process.cpuUsage() from "go" to the last message finished, microseconds. */
  cpuUs: number;
  userUs: number;
  systemUs: number;
  /** Wall time from "go" to the last message finished, ms. */
  elapsedMs: number;
  /** The event loop turns that waited for room (ours) or the window (mqttjs). */
  waits: number;
  /** process.hrtime at "go" and at the end, microseconds: the window to read a --cpu-prof profile in. */
  goHrUs: number;
  doneHrUs: number;
}

function arg(name: string, fallback?: string): string {
  const at = process.argv.indexOf("--" + name);
  if (at >= 0 && at + 1 < process.argv.length) return process.argv[at + 1];
  if (fallback === undefined) throw new Error(`missing --${name}`);
  return fallback;
}

const which = arg("client");
const qos = Number(arg("qos")) as QoS;
const host = arg("host", "127.0.0.1");
const port = Number(arg("port"));
const count = Number(arg("count", "50000"));
const window = Number(arg("window", "0"));
const transport = arg("transport", "tcp");
if (transport !== "tcp" && transport !== "ws") throw new Error("--transport is tcp or ws");
if (which !== "ours" && which !== "mqttjs") throw new Error("--client is ours or mqttjs");
if (!(qos === 0 || qos === 1 || qos === 2)) throw new Error("--qos is 0, 1 or 2");

const INFLIGHT = 64;
const QUEUE_SLOTS = 512;
const TRANSMIT_BUFFER = 64 * 1024;
const payload = new TextEncoder().encode(PAYLOAD);
const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Publisher {
  /** Publishes `count` messages; resolves when all are finished; returns the waits. */
  run(): Promise<number>;
  close(): Promise<void>;
}

async function ours(): Promise<Publisher> {
  let waiter: (() => void) | null = null;
  let connected!: () => void;
  let failed!: (error: Error) => void;
  const up = new Promise<void>((resolve, reject) => ((connected = resolve), (failed = reject)));
  const client: MqttClient = new MqttClient({
    clientId: `bench-ours-${process.pid}`,
    keepalive: 60,
    reconnectPeriod: 0, // a lost connection is a failed run, not something to recover from here
    connectTimeout: 10_000,
    inflight: INFLIGHT,
    queueSlots: QUEUE_SLOTS,
    transmitBufferSize: TRANSMIT_BUFFER,
    queuePolicy: "reject",
    socketStage: 0, // as the simulator's connect(): on V8 a view per socket call is cheaper than resizing (client/options.ts)
    onConnected: () => connected(),
    onDisconnected: (reason) => failed(new Error(`ours: disconnected, reason 0x${reason.toString(16)}`)),
    onAcked: () => {
      // Wake the publisher once acks have freed half the outbox (not on every ack), or at the end.
      if (waiter !== null && client.queuedCount() <= QUEUE_SLOTS / 2) {
        const wake = waiter;
        waiter = null;
        wake();
      }
    },
  });
  const broker = transport === "ws" ? { host, port, websocket: "/mqtt" } : { host, port };
  const connection = new MqttConnection(client, broker, simulatedDevice(new SimNetwork({ name: "bench" })));
  connection.start();
  await up;
  const topic = client.topic(TOPIC);
  const room = (): Promise<void> => (qos === 0 ? immediate() : new Promise<void>((resolve) => (waiter = resolve)));
  return {
    async run() {
      let waits = 0;
      for (let sent = 0; sent < count; ) {
        const id = client.publish(topic, payload, qos);
        if (id >= 0) {
          sent++;
          continue;
        }
        if (id !== ClientError.QueueFull) throw new Error(`ours: publish refused (${id})`);
        connection.service(); // write what fits: the rest goes on the socket's onWritable
        waits++;
        await room();
      }
      connection.service();
      // The end: every message written (QoS 0) or acknowledged (QoS 1/2).
      while (client.queuedCount() > 0) {
        waits++;
        if (qos === 0) await immediate();
        else await new Promise<void>((resolve) => (waiter = resolve));
      }
      return waits;
    },
    async close() {
      connection.stop();
      await immediate();
    },
  };
}

async function mqttjs(): Promise<Publisher> {
  const client = await mqtt.connectAsync(transport === "ws" ? `ws://${host}:${port}/mqtt` : `mqtt://${host}:${port}`, {
    clientId: `bench-mqttjs-${process.pid}`,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    protocolVersion: 4,
  });
  const body = Buffer.from(payload);
  return {
    run() {
      return new Promise<number>((resolve, reject) => {
        let sent = 0;
        let done = 0;
        let waits = 0;
        let filling = false;
        const finished = (error?: Error) => {
          if (error) return reject(error);
          done++;
          if (done === count) resolve(waits);
          else if (window > 0) fill();
        };
        // With a window: keep at most `window` publishes unfinished. Without: all at once.
        const fill = () => {
          if (filling) return;
          filling = true;
          const limit = window > 0 ? window : count;
          while (sent < count && sent - done < limit) {
            sent++;
            client.publish(TOPIC, body, { qos }, finished);
          }
          if (sent < count) waits++;
          filling = false;
        };
        fill();
      });
    },
    async close() {
      await client.endAsync();
    },
  };
}

const publisher = which === "ours" ? await ours() : await mqttjs();
const ipc = typeof process.send === "function";
if (ipc) {
  await new Promise<void>((resolve) => {
    process.on("message", (message: { type: string }) => {
      if (message.type === "go") resolve();
    });
    process.send!({ type: "ready" });
  });
}
const start = performance.now();
const goHrUs = Number(process.hrtime.bigint() / 1000n);
const cpu0 = process.cpuUsage();
const waits = await publisher.run();
const cpu = process.cpuUsage(cpu0);
const doneHrUs = Number(process.hrtime.bigint() / 1000n);
const report: PublisherReport = {
  type: "done",
  client: which,
  qos,
  count,
  cpuUs: cpu.user + cpu.system,
  userUs: cpu.user,
  systemUs: cpu.system,
  elapsedMs: performance.now() - start,
  waits,
  goHrUs,
  doneHrUs,
};
if (ipc) {
  process.send!(report);
  // Stay connected until the parent has counted every arrival (a QoS 0 publisher that left at once would
  // be fine too, but both clients end the same way).
  await new Promise<void>((resolve) => process.on("message", (message: { type: string }) => message.type === "exit" && resolve()));
}
await publisher.close();
if (!ipc) console.log(JSON.stringify(report));
process.exit(0);
