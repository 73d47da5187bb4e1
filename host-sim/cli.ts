/**
 * `npm start`: the host simulator. Starts the embedded broker (aedes on loopback) unless --broker names
 * one, boots simulated boards running the firmware's device app over the simulated device modules,
 * subscribes to their telemetry with our own client, and shows what happens until Ctrl-C or --duration.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Device } from "../firmware/app.js";
import { MqttClient } from "../firmware/mqtt/index.js";
import { errorMessage } from "../firmware/mqtt/index.js";
import { MqttConnection, type BrokerAddress } from "../firmware/net/connection.js";
import { describeCause } from "../firmware/net/causes.js";
import { loadBoard } from "./boards.js";
import { bootBoard } from "./boot.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "./broker.js";
import { SimNetwork } from "./network.js";
import { simulatedDevice } from "./simulated-device.js";

const USAGE = `Usage: npm start -- [options]

  --broker URL        mqtt://host:port or mqtts://host:port (default: the embedded aedes broker on 127.0.0.1)
  --username NAME     --password SECRET     credentials for the broker
  --ca FILE           CA certificate (PEM) for mqtts://
  --board NAME        esp32_devkit (default) or pico_w (boards/)
  --devices N         simulate a fleet of N boards (default 1)
  --interval MS       telemetry interval per sensor (default 2000)
  --faults            every 7 s, one of: drop a link, stall it, deliver bytes one at a time, take
                      Wi-Fi away, restart the embedded broker
  --duration SECONDS  stop by itself after this long (default: run until Ctrl-C)
  --quiet             only the summaries
`;

const OPTIONS = {
  broker: { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  ca: { type: "string" },
  board: { type: "string", default: "esp32_devkit" },
  devices: { type: "string", default: "1" },
  interval: { type: "string", default: "2000" },
  faults: { type: "boolean", default: false },
  duration: { type: "string" },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

/** The command line, or the reason it is not one, with the usage (exit 2): never a stack trace. */
function commandLine() {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    process.stderr.write(`mqtt-xs simulator: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}
const { values } = commandLine();
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const start = Date.now();
const stamp = () => `[${((Date.now() - start) / 1000).toFixed(1).padStart(6)}s]`;
const say = (who: string, text: string) => {
  if (!values.quiet) process.stdout.write(`${stamp()} ${who.padEnd(22)} ${text}\n`);
};

/**
 * A disconnect or failed attempt in words: the transport's cause with its address (else the client's
 * reason), the code, and when the next attempt is.
 */
function disconnected(reason: number, cause: number, retryIn: number, connection: MqttConnection): string {
  const why = cause !== 0 ? `${describeCause(cause, connection)} (0x${cause.toString(16)})` : `${errorMessage(reason)} (0x${reason.toString(16)})`;
  return `disconnected: ${why}; ${retryIn < 0 ? "no reconnect" : `next attempt in ${(retryIn / 1000).toFixed(1)} s`}`;
}

/** The first certificate of a PEM file as DER, the form the device's TLS socket takes. */
function pemToDer(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error("--ca: no PEM certificate in the file");
  return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ""), "base64"));
}

function brokerAddress(url: string): BrokerAddress {
  const parsed = new URL(url);
  if (parsed.protocol !== "mqtt:" && parsed.protocol !== "mqtts:") throw new Error(`--broker must be mqtt:// or mqtts://, not ${url}`);
  const tls = parsed.protocol === "mqtts:";
  return {
    host: parsed.hostname,
    port: Number(parsed.port || (tls ? 8883 : 1883)),
    tls,
    ca: values.ca ? pemToDer(readFileSync(values.ca, "utf8")) : undefined,
  };
}

async function main(): Promise<void> {
  const board = loadBoard(values.board!);
  const count = Number(values.devices);
  const interval = Number(values.interval);
  if (!(count >= 1 && count <= 1000)) throw new Error("--devices must be 1 to 1000");
  if (!(interval >= 10)) throw new Error("--interval must be at least 10 ms");
  let embedded: EmbeddedBroker | null = null;
  let url = values.broker;
  if (!url) {
    embedded = await startEmbeddedBroker();
    url = embedded.url;
  }
  const broker = brokerAddress(url);
  process.stdout.write(
    `mqtt-xs simulator: ${count} x ${board.name} (${board.description}) -> ${url}${embedded ? " (embedded aedes)" : ""}\n` +
      `telemetry every ${interval} ms per sensor${values.faults ? ", with faults" : ""}; Ctrl-C to stop\n\n`,
  );

  // The subscriber: our own client on the host, counting what arrives.
  let arrived = 0;
  const subscriberNetwork = new SimNetwork({ name: "subscriber" });
  const subscriberClient = new MqttClient({
    clientId: `mqtt-xs-sim-sub-${process.pid}`,
    username: values.username,
    password: values.password,
    onConnected: () => say("subscriber", "connected; subscribed to devices/+/telemetry/# and devices/+/status"),
    onDisconnected: (reason) => {
      const next = subscriberClient.nextAttemptAt;
      say("subscriber", disconnected(reason, subscriber.cause, next < 0 ? -1 : next - subscriber.now(), subscriber));
    },
    onMessage: (m) => {
      const topic = m.topicString();
      if (topic.includes("/telemetry/")) arrived++;
      say("subscriber", `${topic} ${m.payloadString()}`);
    },
  });
  subscriberClient.subscribe([{ topic: "devices/+/telemetry/#", qos: 1 }, { topic: "devices/+/status", qos: 1 }]);
  const subscriber = new MqttConnection(subscriberClient, broker, simulatedDevice(subscriberNetwork));
  subscriber.start();

  const devices: { device: Device; network: SimNetwork; id: string }[] = [];
  for (let n = 0; n < count; n++) {
    const id = `${board.name.replace(/_/g, "-")}-${(0xa1b2c3 + n).toString(16)}`;
    const connection = (): MqttConnection => device.connection;
    const { device, network } = bootBoard({
      board,
      broker,
      deviceId: id,
      username: values.username,
      password: values.password,
      interval,
      seed: n + 1,
      events: {
        onAttempt: (host, address) => say(id, address ? `connecting to ${address}:${broker.port}${broker.tls ? " (TLS)" : ""}` : `resolving ${host}`),
        onConnected: (present) => say(id, `connected (session present: ${present ? "yes" : "no"})`),
        onDisconnected: (reason, cause, retryIn) => say(id, disconnected(reason, cause, retryIn, connection())),
        onPublished: (sensor, packetId) => {
          if (packetId < 0) say(id, `publish ${sensor} refused: ${errorMessage(packetId)}`);
        },
        onSensorError: (sensor) => say(id, `sensor ${sensor} failed to read`),
      },
    });
    devices.push({ device, network, id });
  }

  const summary = () => {
    const totals = { queued: 0, sent: 0, acked: 0, dropped: 0, resent: 0, connects: 0 };
    for (const { device } of devices) {
      const s = device.client.stats;
      totals.queued += s.queued;
      totals.sent += s.sent;
      totals.acked += s.acked;
      totals.dropped += s.dropped;
      totals.resent += s.resent;
      totals.connects += s.connects;
    }
    process.stdout.write(
      `${stamp()} summary: ${devices.length} device(s), connects ${totals.connects}, published ${totals.queued}, sent ${totals.sent}, ` +
        `acked ${totals.acked}, resent ${totals.resent}, dropped ${totals.dropped}; telemetry received by the subscriber ${arrived}\n`,
    );
  };
  const summaries = setInterval(summary, 5000);

  let faults: NodeJS.Timeout | null = null;
  if (values.faults) {
    let k = 0;
    faults = setInterval(() => {
      const target = devices[k % devices.length];
      const kind = k++ % (embedded ? 5 : 4);
      if (kind === 0) {
        say(target.id, "FAULT: link dropped");
        target.network.drop();
      } else if (kind === 1) {
        say(target.id, "FAULT: link stalled for 3 s");
        target.network.stall(3000);
      } else if (kind === 2) {
        say(target.id, "FAULT: bytes delivered one at a time for 3 s");
        target.network.drip(true);
        setTimeout(() => target.network.drip(false), 3000);
      } else if (kind === 3) {
        say(target.id, "FAULT: Wi-Fi lost for 4 s (and the link with it)");
        target.network.wifiDown();
        target.network.drop();
        setTimeout(() => target.network.wifiUp(), 4000);
      } else {
        say("broker", "FAULT: embedded broker restarting (down 1 s)");
        void embedded!.restart(1000).then(() => say("broker", "back"));
      }
    }, 7000);
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(summaries);
    if (faults) clearInterval(faults);
    for (const { device } of devices) device.stop();
    await new Promise((r) => setTimeout(r, 300)); // let DISCONNECTs and the last acks through
    subscriber.stop();
    summary();
    if (embedded) await embedded.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  if (values.duration) setTimeout(() => void stop(), Number(values.duration) * 1000);
}

main().catch((error: unknown) => {
  process.stderr.write(`mqtt-xs simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
