/**
 * The device's configuration: what the app takes (DeviceConfig), and how mcconfig's gives it (`import
 * config from "mc/config"`: the manifest's config, each key overridable with `mcconfig ... key=value`,
 * which passes strings).
 */
import type { ClientOptions } from "./mqtt/index.js";
import type { BrokerAddress, DerBytes } from "./net/index.js";
import { sensorConfigs, type BoardSpec, type SensorFactory } from "./telemetry/board.js";
import type { SensorConfig } from "./telemetry/task.js";

export interface DeviceConfig {
  deviceId: string;
  broker: BrokerAddress;
  username?: string;
  password?: string;
  keepalive?: number;
  /** Client sizes (from the board), and any other client option. */
  client?: Partial<ClientOptions>;
  sensors: SensorConfig[];
  /** Wall-clock milliseconds (UTC) for "ts", or undefined while the clock is not set. */
  clock?: () => number | undefined;
  /** Home Assistant discovery: on by default; false turns it off. */
  discovery?: boolean | { prefix?: string };
  /** For discovery's device block and the config report. */
  model?: string;
  manufacturer?: string;
  boardName?: string;
  /** Bytes of the telemetry JSON buffer. Default 256. */
  payloadSize?: number;
}


/** The keys firmware/main.ts reads from mc/config; every manifest declares each of them. */
export interface McConfig {
  board: BoardSpec;
  deviceId: string;
  /** The broker's host name or IPv4 address, and port. */
  broker: string;
  port: number | string;
  /** "true" for MQTT over TLS (mqtts): the broker's certificate is checked against `ca` (else the device's own CAs). */
  tls: boolean | string;
  /**
   * TLS only (ignored unless tls is "true"): resource names, each a DER file among the manifest's
   * `resources` ("" for none). `ca`: the CA that signs the broker's certificate; `cert`: our certificate for
   * mutual TLS, or several comma-separated (ours first, then its intermediates); `key`: its private key
   * (RSA, unencrypted PKCS#8 DER). Optional here for callers that predate them; every manifest declares them.
   */
  ca?: string;
  cert?: string;
  key?: string;
  /** TLS only: ALPN protocols offered, comma-separated ("" for none), e.g. "mqtt" or "x-amzn-mqtt-ca". */
  alpn?: string;
  /** TLS only: the name sent in SNI and checked in the broker's certificate; "" for the broker's host. */
  serverName?: string;
  mqttUsername: string;
  mqttPassword: string;
  /** Home Assistant discovery: on unless "false". */
  discovery: boolean | string;
  discoveryPrefix: string;
  /** Seconds between samples for every sensor; 0: each sensor's own (the board's). */
  interval: number | string;
  /** DNS server(s) for the broker's name, comma-separated. */
  dns: string;
}

/** mcconfig key=value overrides arrive as strings: "false", "0" and "" are false. */
export function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  return !(value === false || value === 0 || value === "false" || value === "0" || value === "no" || value === "off");
}

/** Loads a resource by name (firmware/main.ts: `new Resource(name)`); throws if the build has none by that name. */
export type ResourceLoader = (name: string) => DerBytes;

/** A comma-separated config value as its non-empty, trimmed items. */
export function listOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items: string[] = [];
  for (const item of String(value).split(",")) {
    const trimmed = item.trim();
    if (trimmed.length > 0) items.push(trimmed);
  }
  return items;
}

/** The resource `name` that config key `key` names, or a TypeError that says which key, which name and what to do. */
function loadResource(load: ResourceLoader | undefined, key: string, name: string): DerBytes {
  if (load === undefined) throw new TypeError(`mc/config: ${key} names the resource "${name}", but nothing loads resources here`);
  try {
    return load(name);
  } catch (error) {
    throw new TypeError(
      `mc/config: ${key} names the resource "${name}", which is not in the build (${error instanceof Error ? error.message : String(error)}): ` +
        `list its file in the manifest's "resources" (e.g. "resources": {"*": ["./certs/${name.replace(/\.der$/, "")}"]}), or give ${key}=""`,
    );
  }
}

/**
 * The broker address from the config: host, port, tls and, with tls only, the TLS material the config
 * names (ca, cert, key as resources; alpn; serverName). Without tls those keys are not read.
 */
export function brokerFrom(config: McConfig, load?: ResourceLoader): BrokerAddress {
  const tls = flag(config.tls, false);
  const port = Number(config.port) || (tls ? 8883 : 1883);
  const broker: BrokerAddress = { host: config.broker, port, tls };
  if (!tls) return broker;
  const ca = listOf(config.ca);
  if (ca.length > 1) throw new TypeError(`mc/config: ca names one resource (the CA certificate, DER), not ${ca.length}: "${String(config.ca)}"`);
  if (ca.length === 1) broker.ca = loadResource(load, "ca", ca[0]);
  const cert = listOf(config.cert);
  if (cert.length === 1) broker.cert = loadResource(load, "cert", cert[0]);
  else if (cert.length > 1) broker.cert = cert.map((name) => loadResource(load, "cert", name));
  const key = listOf(config.key);
  if (key.length > 1) throw new TypeError(`mc/config: key names one resource (the private key, PKCS#8 DER), not ${key.length}: "${String(config.key)}"`);
  if (key.length === 1) broker.key = loadResource(load, "key", key[0]);
  const alpn = listOf(config.alpn);
  if (alpn.length > 0) broker.ALPNProtocols = alpn;
  const serverName = config.serverName === undefined || config.serverName === null ? "" : String(config.serverName).trim();
  if (serverName.length > 0) broker.serverName = serverName;
  return broker;
}

/**
 * The app's configuration from mc/config.
 * @param load - loads a resource by name (`new Resource(name)` on a device), for the TLS keys
 * @throws TypeError for an empty deviceId or broker, or a TLS resource the build does not have
 */
export function deviceConfigFrom(config: McConfig, make: SensorFactory, clock: () => number | undefined, load?: ResourceLoader): DeviceConfig {
  const board = config.board;
  if (!config.deviceId) throw new TypeError("mc/config: deviceId is empty (mcconfig ... deviceId=<id>)");
  if (!config.broker) throw new TypeError("mc/config: broker is empty (mcconfig ... broker=<host>)");
  return {
    deviceId: config.deviceId,
    broker: brokerFrom(config, load),
    username: config.mqttUsername || undefined,
    password: config.mqttPassword || undefined,
    client: board.client,
    sensors: sensorConfigs(board, make, Number(config.interval) || 0),
    clock,
    discovery: flag(config.discovery, true) ? { prefix: config.discoveryPrefix || "homeassistant" } : false,
    model: board.model,
    manufacturer: board.manufacturer,
    boardName: board.name,
    payloadSize: board.payloadSize,
  };
}
