/**
 * Board definitions (boards/*.json): the bus, the sensors fitted and their tasks, the LED, and the client
 * sizes that fit the board's RAM. The manifests carry the same object in their config ("board"); the
 * simulator reads the file. Here they become the app's sensor tasks, with the defaults filled in.
 */
import type { ClientOptions } from "../mqtt/client/options.js";
import type { QoS } from "../mqtt/codec/packet.js";
import { sensorKind, type SensorDriver } from "./kinds.js";
import type { Sensor, SensorConfig } from "./task.js";

/** One sensor fitted to a board, and its task. Times in seconds. */
export interface SensorSpec {
  /** The topic level: devices/<id>/telemetry/<name>. */
  name: string;
  driver: SensorDriver;
  /** 7-bit I2C address. */
  address: number;
  /** Seconds between samples. Default TASK_DEFAULTS.interval. */
  interval?: number;
  /** Report-by-exception: publish when a reading moves by more than this (by JSON key, in its unit). */
  deadband?: Record<string, number>;
  /** Report-by-exception: publish at least every this many seconds. Default TASK_DEFAULTS.maxInterval. */
  maxInterval?: number;
  qos?: QoS;
  retain?: boolean;
}

export interface BoardSpec {
  name: string;
  description: string;
  /** The mcconfig platform: esp32, pico/pico_w, lin. */
  platform: string;
  manufacturer: string;
  model: string;
  i2c: { port: number; sda: number; scl: number; hz: number };
  led: number | string;
  sensors: SensorSpec[];
  /** Client sizes (receive/transmit buffers, in flight, queue slots, subscriptions). */
  client: Partial<ClientOptions>;
  /** Bytes of the telemetry JSON buffer. Default 256. */
  payloadSize?: number;
}

export const TASK_DEFAULTS = Object.freeze({ interval: 10, maxInterval: 300, qos: 1 as QoS, retain: false });

/** Makes a board's sensor driver; may throw (a sensor not fitted): see RetryingSensor. */
export type SensorFactory = (spec: SensorSpec, board: BoardSpec) => Sensor;

/**
 * A sensor whose driver is made on first use and made again after it failed to construct: a sensor
 * missing at boot is reported at each interval like a failed read, and picked up once it answers.
 */
export class RetryingSensor implements Sensor {
  private sensor: Sensor | null = null;
  private readonly make: () => Sensor;
  constructor(make: () => Sensor) {
    this.make = make;
  }
  sample(): ReturnType<Sensor["sample"]> {
    if (this.sensor === null) this.sensor = this.make(); // throws until the sensor answers
    return this.sensor.sample();
  }
}

/** The board's sensors as app tasks. `intervalSeconds` (> 0) overrides every task's interval. */
export function sensorConfigs(board: BoardSpec, make: SensorFactory, intervalSeconds = 0): SensorConfig[] {
  return board.sensors.map((spec) => {
    sensorKind(spec.driver); // an unknown driver fails here, at set-up
    const interval = intervalSeconds > 0 ? intervalSeconds : (spec.interval ?? TASK_DEFAULTS.interval);
    return {
      name: spec.name,
      kind: spec.driver,
      sensor: new RetryingSensor(() => make(spec, board)),
      intervalMs: interval * 1000,
      maxIntervalMs: spec.deadband ? (spec.maxInterval ?? TASK_DEFAULTS.maxInterval) * 1000 : 0,
      deadband: spec.deadband,
      qos: spec.qos ?? TASK_DEFAULTS.qos,
      retain: spec.retain ?? TASK_DEFAULTS.retain,
    };
  });
}
