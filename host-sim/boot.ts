/**
 * Boots a simulated board programmatically: the firmware's device app (firmware/app.ts) on a board of
 * boards/, with simulated sensors and its own simulated network (for faults: drop, stall, drip, Wi-Fi
 * down), connected to a broker. What `npm start` does for each board, as a library call.
 */
import { Device, type DeviceEvents, type SensorConfig } from "../firmware/app.js";
import { sensorConfigs, type BoardSpec } from "../firmware/telemetry/board.js";
import type { BrokerAddress } from "../firmware/net/connection.js";
import { parseBrokerUrl } from "../firmware/net/mqtt.js";
import { loadBoard, type Board } from "./boards.js";
import { SimNetwork } from "./network.js";
import { boardFlash, type BoardStore } from "./board-flash.js";
import type { SimFlash } from "./device/flash.js";
import { simulatedDevice } from "./simulated-device.js";
import { SimBMP280, SimSHT3x } from "./sensors.js";

export interface BootOptions {
  /** A board of boards/ by name ("esp32_devkit", "pico_w") or a board object. Default "esp32_devkit". */
  board?: string | Board;
  /** The broker: a URL (mqtt://host:port, mqtts://host:port) or an address. */
  broker: string | BrokerAddress;
  /** Default: the board's name and a hex number from `seed`. */
  deviceId?: string;
  username?: string;
  password?: string;
  /** The MQTT version: 4 (3.1.1, the default) or 5 (5.0): the client's protocolVersion. */
  protocolVersion?: 4 | 5;
  /** Telemetry interval per sensor, ms (default: the board's own intervals). */
  interval?: number;
  /** Seeds the simulated sensors (default 1). */
  seed?: number;
  /** What the device reports: connects, disconnects, publishes, sensor errors, commands. */
  events?: DeviceEvents;
  /** The board's network; default a new one named after the device. */
  network?: SimNetwork;
  /** Start at once (default true). */
  start?: boolean;
  /** A board with a `store`: the folder of its flash file (default: the flash is in memory), or the flash itself (a reboot). */
  flashDir?: string;
  flash?: SimFlash;
}

export interface SimulatedBoard {
  /** The device app: its client, connection, telemetry tasks; stop() ends it. */
  device: Device;
  /** The board's network: drop(), stall(ms), drip(on), wifiDown(), wifiUp(). */
  network: SimNetwork;
  deviceId: string;
  board: Board;
  /** The board's flash, when its board file has a `store` (the outbox on it). */
  flash: SimFlash | null;
}

/** The board's sensor tasks (boards/*.json), each with a simulated driver; `interval` (ms) overrides theirs. */
export function simulatedSensors(board: Board, seed: number, interval?: number): SensorConfig[] {
  const spec = board as unknown as BoardSpec; // boards/*.json carry the task fields BoardSpec names
  return sensorConfigs(
    spec,
    (s) => {
      const i = spec.sensors.indexOf(s);
      return s.driver === "SHT3x" ? new SimSHT3x({ seed: seed * 31 + i }) : new SimBMP280({ seed: seed * 31 + i });
    },
    interval === undefined ? undefined : interval / 1000,
  );
}

/** Boots one simulated board running the device app against `options.broker`. */
export function bootBoard(options: BootOptions): SimulatedBoard {
  const board = typeof options.board === "object" ? options.board : loadBoard(options.board ?? "esp32_devkit");
  const seed = options.seed ?? 1;
  const deviceId = options.deviceId ?? `${board.name.replace(/_/g, "-")}-${(0xa1b2c3 + seed - 1).toString(16)}`;
  const broker = typeof options.broker === "string" ? parseBrokerUrl(options.broker) : options.broker;
  const network = options.network ?? new SimNetwork({ name: deviceId });
  const spec = board as unknown as BoardSpec;
  const storeSpec = (board as { store?: BoardStore }).store;
  const stored = storeSpec === undefined ? null : boardFlash(storeSpec, deviceId, options.flashDir, options.flash);
  const device = new Device(
    {
      deviceId,
      broker,
      username: options.username,
      password: options.password,
      // socketStage 0: V8 resizes an ArrayBuffer in microseconds, so the simulator hands the socket views (client/options.ts).
      client: { socketStage: 0, ...board.client, ...(options.protocolVersion === undefined ? {} : { protocolVersion: options.protocolVersion }), ...(stored === null ? {} : { store: stored.store }) },
      sensors: simulatedSensors(board, seed, options.interval),
      clock: () => Date.now(),
      model: spec.model,
      manufacturer: spec.manufacturer,
      boardName: board.name,
      payloadSize: spec.payloadSize,
    },
    simulatedDevice(network),
    options.events,
  );
  if (options.start !== false) device.start();
  return { device, network, deviceId, board, flash: stored === null ? null : stored.flash };
}
