/**
 * The device's configuration: what the app takes (DeviceConfig), and how mcconfig's gives it (`import
 * config from "mc/config"`: the manifest's config, each key overridable with `mcconfig ... key=value`,
 * which passes strings).
 */
import type { ClientOptions } from "./mqtt/index.js";
import type { BrokerAddress } from "./net/index.js";
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
  /** "true" for MQTT over TLS (mqtts), checked against the certificates built in (the manifest's data). */
  tls: boolean | string;
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

export function deviceConfigFrom(config: McConfig, make: SensorFactory, clock: () => number | undefined): DeviceConfig {
  const board = config.board;
  if (!config.deviceId) throw new TypeError("mc/config: deviceId is empty (mcconfig ... deviceId=<id>)");
  if (!config.broker) throw new TypeError("mc/config: broker is empty (mcconfig ... broker=<host>)");
  const tls = flag(config.tls, false);
  const port = Number(config.port) || (tls ? 8883 : 1883);
  return {
    deviceId: config.deviceId,
    broker: { host: config.broker, port, tls },
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
