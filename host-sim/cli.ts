/**
 * `npm start`: the host simulator. Starts the embedded broker (aedes on loopback, --port or a free port)
 * unless --broker names one, boots simulated boards running the firmware's device app over the simulated
 * device modules, subscribes to what they publish (telemetry, status, discovery, commands and their
 * results) with our own client, and shows what happens until Ctrl-C or --duration: as text, or one JSON
 * object per line (--json). The command line is read by cli-args.ts, the lines written by cli-report.ts.
 * The TLS flags (--ca, --cert, --key, --alpn, --servername) and the MQTT version (--mqtt) go to every
 * board's connection and to the subscriber's alike.
 */
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Device } from "../firmware/app.js";
import { MqttClient } from "../firmware/mqtt/index.js";
import { disconnectMessage, errorMessage } from "../firmware/mqtt/index.js";
import { checkBroker, MqttConnection, type BrokerAddress } from "../firmware/net/connection.js";
import { describeCause } from "../firmware/net/causes.js";
import { boardNames, loadBoard } from "./boards.js";
import { bootBoard, simulatedSensors } from "./boot.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "./broker.js";
import { MQTT_VERSIONS, mistake, parseCommandLine, protocolVersion, USAGE, type CliOptions } from "./cli-args.js";
import { classify, EventLog, payloadFields, Tally } from "./cli-report.js";
import { SimNetwork } from "./network.js";
import { simulatedDevice } from "./simulated-device.js";

/** A mistake the user can fix (exit 2), found after the command line was read (the --ca, --cert or --key file, what checkBroker refuses, the --port taken). */
class UsageMistake extends Error {}

/** A disconnect or failed attempt in words: the transport's cause with its address (else the client's reason), the code, and when the next attempt is. */
function disconnected(reason: number, cause: number, retryIn: number, connection: MqttConnection): string {
  const why = cause !== 0 ? `${describeCause(cause, connection)} (0x${cause.toString(16)})` : `${disconnectMessage(reason)} (0x${reason.toString(16)})`;
  return `disconnected: ${why}; ${retryIn < 0 ? "no reconnect" : `next attempt in ${(retryIn / 1000).toFixed(1)} s`}`;
}

/** The disconnect's fields for --json. */
function disconnectFields(reason: number, cause: number, retryIn: number, connection: MqttConnection): Record<string, unknown> {
  return {
    reason,
    cause,
    why: cause !== 0 ? describeCause(cause, connection) : disconnectMessage(reason),
    retryIn: retryIn < 0 ? null : retryIn / 1000,
  };
}

/** A file named by an option, as text; unreadable: a mistake naming the option. */
function readOption(option: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageMistake(`${option}: cannot read ${path}${code === "ENOENT" ? ": no such file" : code ? ` (${code})` : ""}`);
  }
}

/** Every certificate of a PEM file as DER, the form the device's TLS socket takes; none: a mistake. */
function pemCertificates(option: string, path: string): Uint8Array[] {
  const pem = readOption(option, path);
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new UsageMistake(`${option}: no PEM certificate (-----BEGIN CERTIFICATE-----) in ${path}`);
  return blocks.map((block) => new Uint8Array(Buffer.from(block[1].replace(/\s+/g, ""), "base64")));
}

/** The private key of a PEM file as unencrypted PKCS#8 DER, the form the device's TLS takes; RSA only (its TLS signs with nothing else). */
function pemPrivateKey(path: string): Uint8Array {
  const pem = readOption("--key", path);
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) throw new UsageMistake(`--key: no PEM private key (-----BEGIN PRIVATE KEY-----) in ${path}`);
  let key;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    const encrypted = /ENCRYPTED/.test(pem);
    const why = encrypted ? "it is encrypted: give an unencrypted one (openssl pkey -in key.pem -out plain.pem)" : (error as Error).message.split("\n")[0];
    throw new UsageMistake(`--key: cannot read the private key in ${path}: ${why}`);
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new UsageMistake(`--key: ${path} is not an RSA key (it is ${key.asymmetricKeyType ?? "of unknown type"}); the device's TLS signs with RSA only`);
  }
  return new Uint8Array(key.export({ type: "pkcs8", format: "der" }));
}

/** checkBroker's names for the options, and the command line's. */
const FLAGS: Record<string, string> = { ca: "--ca", cert: "--cert", key: "--key", ALPNProtocols: "--alpn", serverName: "--servername" };

/** The broker's options checked as the boards' connections will (checkBroker), a TypeError made a mistake that names the flag. */
function checkedBroker(broker: BrokerAddress): BrokerAddress {
  try {
    checkBroker(broker, "broker");
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const words = error.message.replace(/^broker\.(\w+)(?:\[(\d+)\])?/, (all, name: string, index?: string) => {
      const flag = FLAGS[name];
      if (flag === undefined) return all;
      return index === undefined ? flag : `${flag} (${name === "cert" ? "PEM block" : "protocol"} ${Number(index) + 1})`;
    });
    throw new UsageMistake(words);
  }
  return broker;
}

/** Starts the embedded broker; the port taken is the user's to change. */
async function embeddedBroker(port: number | undefined): Promise<EmbeddedBroker> {
  try {
    return await startEmbeddedBroker(port ?? 0);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (port !== undefined && (code === "EADDRINUSE" || code === "EACCES")) {
      throw new UsageMistake(`--port ${port}: ${code === "EADDRINUSE" ? "the port is in use" : "not allowed to listen there"} on 127.0.0.1; choose another, or leave --port out for a free one`);
    }
    throw error;
  }
}

/**
 * Counts what a device's client accepts, by topic: the parts of its stats.queued (which counts a publish
 * exactly when it returns a packet id, 0 at QoS 0). The device app reports only telemetry (onPublished),
 * not its status, discovery or command results, so the simulator wraps this client's publish instead:
 * the firmware stays as a board runs it.
 */
function countPublishes(client: MqttClient, tally: Tally): void {
  const publish = client.publish.bind(client);
  client.publish = (topic, payload, qos, retain, offset, length) => {
    const id = publish(topic, payload, qos, retain, offset, length);
    if (id >= 0) tally.add(classify(typeof topic === "string" ? topic : topic.name).kind);
    return id;
  };
}

async function main(values: CliOptions): Promise<void> {
  const start = Date.now();
  const log = new EventLog((line) => process.stdout.write(line), () => Date.now() - start, values);
  const board = loadBoard(values.board);
  const count = values.devices;
  let embedded: EmbeddedBroker | null = null;
  let broker: BrokerAddress;
  let url: string;
  if (values.broker) {
    const certs = values.cert === undefined ? undefined : pemCertificates("--cert", values.cert);
    broker = checkedBroker({
      host: values.broker.host,
      port: values.broker.port,
      tls: values.broker.tls,
      websocket: values.broker.websocket,
      ca: values.ca ? pemCertificates("--ca", values.ca)[0] : undefined,
      cert: certs === undefined ? undefined : certs.length === 1 ? certs[0] : certs,
      key: values.key === undefined ? undefined : pemPrivateKey(values.key),
      ALPNProtocols: values.alpn,
      serverName: values.serverName,
    });
    url = values.broker.url;
  } else {
    embedded = await embeddedBroker(values.port);
    broker = { host: "127.0.0.1", port: embedded.port, tls: false };
    url = embedded.url;
  }
  const { version, fallback } = protocolVersion(values);
  if (fallback !== undefined) process.stderr.write(fallback + "\n");
  const mqtt = MQTT_VERSIONS[version];
  const sensors = simulatedSensors(board, 1, values.interval).map((s) => ({ name: s.name, interval: s.intervalMs / 1000 }));
  const intervals = sensors.map((s) => `${s.name} every ${s.interval} s`).join(", ");
  log.start(
    {
      board: board.name,
      description: board.description,
      devices: count,
      broker: url,
      embedded: embedded !== null,
      protocolVersion: version,
      mqtt,
      ...(fallback === undefined ? {} : { asked: MQTT_VERSIONS[values.mqtt] }),
      sensors,
      intervalSource: values.interval === undefined ? "board" : "--interval",
      faults: values.faults,
    },
    `mqtt-xs simulator: ${count} x ${board.name} (${board.description}) -> ${url}${embedded ? " (embedded aedes)" : ""}, MQTT ${mqtt}${fallback === undefined ? "" : " (--mqtt 5 asked: aedes speaks 3.1.1 only)"}\n` +
      `telemetry: ${intervals} (${values.interval === undefined ? "the board's intervals" : "--interval"})${values.faults ? ", with faults" : ""}; Ctrl-C to stop`,
  );

  // The subscriber: our own client on the host, showing and counting what arrives, by kind.
  const received = new Tally();
  const topics = ["devices/+/telemetry/#", "devices/+/status", "devices/+/cmd/+", "devices/+/cmd-result", "homeassistant/sensor/+/config"];
  const subscriberNetwork = new SimNetwork({ name: "subscriber" });
  const subscriberClient = new MqttClient({
    clientId: `mqtt-xs-sim-sub-${process.pid}`,
    protocolVersion: version,
    username: values.username,
    password: values.password,
    onConnected: () => log.event("subscriber", "connected", { topics }, `connected; subscribed to ${topics.join(", ")}`),
    onDisconnected: (reason) => {
      const next = subscriberClient.nextAttemptAt;
      const retryIn = next < 0 ? -1 : next - subscriber.now();
      log.event("subscriber", "disconnected", disconnectFields(reason, subscriber.cause, retryIn, subscriber), disconnected(reason, subscriber.cause, retryIn, subscriber));
    },
    onMessage: (m) => {
      const topic = m.topicString();
      const payload = m.payloadString();
      const { kind, device, name } = classify(topic, payload);
      received.add(kind);
      const fields = { by: "subscriber", topic, ...(name === undefined ? {} : { name }), retain: m.retain, ...payloadFields(payload) };
      let text = `${topic} ${payload}`;
      if (kind === "discovery") text = `${topic} (discovery config, ${m.payloadLength} bytes${m.retain ? ", retained" : ""})`;
      else if (kind === "command") text = `command ${name} to ${device}: ${payload === "" ? "(no payload)" : payload}`;
      else if (kind === "result") text = `command result from ${device}: ${payload}`;
      log.event(kind === "other" ? "subscriber" : device, kind === "other" ? "message" : kind, fields, text, "subscriber");
    },
  });
  subscriberClient.subscribe(topics.map((topic) => ({ topic, qos: 1 as const })));
  const subscriber = new MqttConnection(subscriberClient, broker, simulatedDevice(subscriberNetwork));
  subscriber.start();

  const devices: { device: Device; network: SimNetwork; id: string; published: Tally }[] = [];
  for (let n = 0; n < count; n++) {
    const id = `${board.name.replace(/_/g, "-")}-${(0xa1b2c3 + n).toString(16)}`;
    const connection = (): MqttConnection => device.connection;
    const { device, network } = bootBoard({
      board,
      broker,
      deviceId: id,
      username: values.username,
      password: values.password,
      protocolVersion: version,
      interval: values.interval, // undefined: each sensor's own, from the board file
      seed: n + 1,
      start: false,
      events: {
        onAttempt: (host, address) =>
          log.event(id, "connecting", { host, address, port: broker.port, tls: broker.tls }, address ? `connecting to ${address}:${broker.port}${broker.tls ? " (TLS)" : ""}` : `resolving ${host}`),
        onConnected: (present) => log.event(id, "connected", { sessionPresent: present }, `connected (session present: ${present ? "yes" : "no"})`),
        onDisconnected: (reason, cause, retryIn) => log.event(id, "disconnected", disconnectFields(reason, cause, retryIn, connection()), disconnected(reason, cause, retryIn, connection())),
        onPublished: (sensor, packetId) => {
          if (packetId < 0) log.event(id, "publish-refused", { sensor, code: packetId, why: errorMessage(packetId) }, `publish ${sensor} refused: ${errorMessage(packetId)}`);
        },
        onSensorError: (sensor, message) => log.event(id, "sensor-error", { sensor, message }, `sensor ${sensor} failed to read`),
        onCommand: (result) => {
          const { cmd, ok, error } = result;
          log.event(id, "command-ran", { cmd, ok, ...(error === undefined ? {} : { error }) }, `ran command ${cmd}: ${ok ? "ok" : `failed: ${error}`}`);
        },
      },
    });
    const published = new Tally();
    countPublishes(device.client, published);
    device.start();
    devices.push({ device, network, id, published });
  }

  const summary = () => {
    const totals = { queued: 0, sent: 0, acked: 0, dropped: 0, resent: 0, connects: 0 };
    const publishedBy = new Tally();
    for (const { device, published } of devices) {
      const s = device.client.stats;
      totals.queued += s.queued;
      totals.sent += s.sent;
      totals.acked += s.acked;
      totals.dropped += s.dropped;
      totals.resent += s.resent;
      totals.connects += s.connects;
      publishedBy.addAll(published);
    }
    log.summary({
      devices: devices.length,
      connects: totals.connects,
      published: totals.queued,
      publishedBy,
      sent: totals.sent,
      acked: totals.acked,
      resent: totals.resent,
      dropped: totals.dropped,
      received: subscriberClient.stats.received,
      receivedBy: received,
    });
  };
  const summaries = setInterval(summary, 5000);

  let faults: NodeJS.Timeout | null = null;
  if (values.faults) {
    let k = 0;
    const fault = (who: string, what: string, text: string) => log.event(who, "fault", { fault: what }, `FAULT: ${text}`);
    faults = setInterval(() => {
      const target = devices[k % devices.length];
      const kind = k++ % (embedded ? 5 : 4);
      if (kind === 0) {
        fault(target.id, "drop", "link dropped");
        target.network.drop();
      } else if (kind === 1) {
        fault(target.id, "stall", "link stalled for 3 s");
        target.network.stall(3000);
      } else if (kind === 2) {
        fault(target.id, "drip", "bytes delivered one at a time for 3 s");
        target.network.drip(true);
        setTimeout(() => target.network.drip(false), 3000);
      } else if (kind === 3) {
        fault(target.id, "wifi-down", "Wi-Fi lost for 4 s (and the link with it)");
        target.network.wifiDown();
        target.network.drop();
        setTimeout(() => target.network.wifiUp(), 4000);
      } else {
        fault("broker", "broker-restart", "embedded broker restarting (down 1 s)");
        void embedded!.restart(1000).then(() => log.event("broker", "broker-back", {}, "back"));
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
    await new Promise((r) => setTimeout(r, 300)); // let DISCONNECTs, the last acks and the last messages through
    subscriber.stop();
    summary();
    if (embedded) await embedded.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  if (values.duration !== undefined) setTimeout(() => void stop(), values.duration * 1000);
}

const line = parseCommandLine(process.argv.slice(2), boardNames());
if (line.kind === "help") {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (line.kind === "error") {
  process.stderr.write(line.message + "\n");
  process.exit(2);
}
main(line.options).catch((error: unknown) => {
  // One line, never a stack trace: a mistake the user can fix exits 2, anything else 1.
  const words = error instanceof Error ? error.message.split("\n")[0] : String(error);
  process.stderr.write(error instanceof UsageMistake ? mistake(words) + "\n" : `npm start: ${words}\n`);
  process.exit(error instanceof UsageMistake ? 2 : 1);
});
