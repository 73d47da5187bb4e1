/**
 * `npm start`: the host simulator. Starts the embedded broker (aedes on loopback, --port or a free port)
 * unless --broker names one, runs the simulation (host-sim/simulation.ts: simulated boards running the
 * firmware's device app over the simulated device modules, and our own client subscribed to what they
 * publish) and shows what happens until Ctrl-C or --duration: as text, or one JSON object per line
 * (--json), and on the live page (host-sim/web/, at the address the start line gives; --no-web: none).
 * The command line is read by cli-args.ts, the lines written by cli-report.ts. The TLS flags (--ca,
 * --cert, --key, --alpn, --servername) and the MQTT version (--mqtt) go to every board's connection and
 * to the subscriber's alike.
 */
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { checkBroker, type BrokerAddress } from "../firmware/net/connection.js";
import { boardNames, loadBoard } from "./boards.js";
import { simulatedSensors } from "./boot.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "./broker.js";
import { MQTT_VERSIONS, mistake, parseCommandLine, protocolVersion, USAGE, type CliOptions } from "./cli-args.js";
import { EventLog } from "./cli-report.js";
import { isFleet, runFleet } from "./fleet/run.js";
import { Simulation } from "./simulation.js";
import { startWebView, type WebView } from "./web/server.js";

/** A mistake the user can fix (exit 2), found after the command line was read (the --ca, --cert or --key file, what checkBroker refuses, the --port taken). */
class UsageMistake extends Error {}

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

/** Starts the live page (--web-port or a free port); the port taken is the user's to change. */
async function webView(port: number | undefined): Promise<WebView> {
  try {
    return await startWebView(port ?? 0);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (port !== undefined && (code === "EADDRINUSE" || code === "EACCES")) {
      throw new UsageMistake(`--web-port ${port}: ${code === "EADDRINUSE" ? "the port is in use" : "not allowed to listen there"} on 127.0.0.1; choose another, or leave --web-port out for a free one`);
    }
    throw error;
  }
}

async function main(values: CliOptions): Promise<void> {
  if (isFleet(values)) return runFleet(values); // --devices above 1,000, --workers, --connect-rate or --shard: host-sim/fleet/
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
  const web = values.noWeb ? null : await webView(values.webPort);
  const { version, fallback } = protocolVersion(values);
  if (fallback !== undefined) process.stderr.write(fallback + "\n");
  const mqtt = MQTT_VERSIONS[version];
  const sensors = simulatedSensors(board, 1, values.interval).map((s) => ({ name: s.name, interval: s.intervalMs / 1000 }));
  const intervals = sensors.map((s) => `${s.name} every ${s.interval} s`).join(", ");
  const startFields = {
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
    web: web === null ? null : web.url,
  };
  log.start(
    startFields,
    `mqtt-xs simulator: ${count} x ${board.name} (${board.description}) -> ${url}${embedded ? " (embedded aedes)" : ""}, MQTT ${mqtt}${fallback === undefined ? "" : " (--mqtt 5 asked: aedes speaks 3.1.1 only)"}\n` +
      `telemetry: ${intervals} (${values.interval === undefined ? "the board's intervals" : "--interval"})${values.faults ? ", with faults" : ""}; Ctrl-C to stop` +
      (web === null ? "" : `\nweb view: ${web.url}`),
  );

  const sim = new Simulation(
    { board, devices: count, broker, embedded, protocolVersion: version, username: values.username, password: values.password, interval: values.interval },
    (e) => {
      log.event(e.device, e.kind, e.fields, e.text, e.who);
      web?.event(e);
    },
  );
  web?.attach(sim, startFields);
  sim.start();
  const summaries = setInterval(() => log.summary(sim.summary()), 5000);
  if (values.faults) sim.startAutoFaults();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(summaries);
    await sim.stop();
    log.summary(sim.summary());
    await web?.close();
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
