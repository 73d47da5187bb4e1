/**
 * One telemetry task: a sensor, what it reports, how often, and when a sample is worth publishing
 * (report-by-exception). It holds its state in fixed arrays made once, so reading a sample, deciding and
 * writing its JSON allocate nothing on XS (the sensor driver's own sample() may: see README).
 */
import type { QoS } from "../mqtt/codec/packet.js";
import { utf8Bytes } from "../mqtt/codec/wire.js";
import { memberBytes, type JsonWriter } from "./json.js";
import { sensorKind, type Reading, type SensorDriver } from "./kinds.js";

/** A sensor as the ECMA-419 drivers shape them: sample() returns its readings by quantity. */
export interface Sensor {
  sample(): Record<string, Record<string, number> | undefined> | undefined;
}

/** A task as the app takes it: the sensor made, the rest from the board (config.ts) or given directly. */
export interface SensorConfig {
  /** The topic level naming it: devices/<id>/telemetry/<name>. */
  name: string;
  sensor: Sensor;
  /** The readings of a known kind (kinds.ts)... */
  kind?: SensorDriver;
  /** ...or listed here (a sensor of another shape). */
  readings?: readonly Reading[];
  intervalMs: number;
  /** Report-by-exception: publish at least this often even if nothing moved. Default: every sample. */
  maxIntervalMs?: number;
  /** Report-by-exception: publish when a reading moves by more than this since the last published value. */
  deadband?: Readonly<Record<string, number>>;
  qos?: QoS;
  retain?: boolean;
}

export function bytesOf(text: string): Uint8Array {
  return utf8Bytes(text) ?? new Uint8Array(0); // the app's own constant keys: never a lone surrogate
}

export class TelemetryTask {
  readonly name: string;
  readonly kind: SensorDriver | undefined;
  readonly sensor: Sensor;
  readonly readings: readonly Reading[];
  /** JSON keys as bytes, made once. */
  readonly keys: Uint8Array[];
  /** Each key as the member that follows seq in the JSON, `,"key":`, made once. */
  private readonly members: Uint8Array[];
  readonly decimals: Uint8Array;
  /** Per reading; NaN: no deadband, every sample is published. */
  readonly deadband: Float64Array;
  /** The last sample read, and the values last published (NaN: missing). */
  readonly values: Float64Array;
  readonly published: Float64Array;
  intervalMs: number;
  maxIntervalMs: number;
  qos: QoS;
  retain: boolean;
  /** When the scheduler runs it next (the device's ms clock). */
  due = 0;
  /** The sequence number of the last message written; the next is seq + 1. */
  seq = 0;
  /** Publish the next sample whatever the deadband says (the "sample" command, a first sample). */
  force = true;
  lastPublishedAt = 0;
  // Counters, for the config report.
  samples = 0;
  sent = 0;
  suppressed = 0;
  errors = 0;
  /** Why the last read failed ("" if none yet). Set on failure only: failures may allocate. */
  lastError = "";

  constructor(config: SensorConfig) {
    const readings = config.readings ?? (config.kind !== undefined ? sensorKind(config.kind).readings : undefined);
    if (readings === undefined || readings.length === 0) throw new TypeError(`sensor ${config.name}: give a kind or its readings`);
    this.name = config.name;
    this.kind = config.kind;
    this.sensor = config.sensor;
    this.readings = readings;
    this.keys = readings.map((r) => bytesOf(r.key));
    this.members = this.keys.map(memberBytes);
    this.decimals = Uint8Array.from(readings, (r) => r.decimals);
    this.deadband = Float64Array.from(readings, (r) => config.deadband?.[r.key] ?? NaN);
    this.values = new Float64Array(readings.length).fill(NaN);
    this.published = new Float64Array(readings.length).fill(NaN);
    this.intervalMs = config.intervalMs;
    this.maxIntervalMs = config.maxIntervalMs ?? 0;
    this.qos = config.qos ?? 1;
    this.retain = config.retain ?? false;
  }

  /**
   * Reads the sensor into `values`. A sensor that throws, returns nothing, or gives none of the readings
   * has failed: counted, remembered in lastError, and false is returned (the scheduler tries again at the
   * next interval). A missing reading among others is NaN, written as null.
   */
  read(): boolean {
    this.samples++;
    let sample: ReturnType<Sensor["sample"]>;
    try {
      sample = this.sensor.sample();
    } catch (error) {
      return this.fail(error instanceof Error ? error.message : String(error));
    }
    if (sample === undefined || sample === null) return this.fail("no sample");
    const readings = this.readings;
    const values = this.values;
    let found = 0;
    for (let i = 0; i < readings.length; i++) {
      const group = sample[readings[i].quantity];
      // A Float64Array stores undefined (a missing property) as NaN.
      values[i] = group === undefined || group === null ? NaN : (group[readings[i].property] as number);
      if (values[i] === values[i]) found++;
    }
    return found > 0 ? true : this.fail("no readings in the sample");
  }

  private fail(message: string): false {
    this.errors++;
    this.lastError = message;
    return false;
  }

  /** Report-by-exception: whether the sample just read should be published at `now`. */
  shouldPublish(now: number): boolean {
    if (this.force) return true;
    if (this.maxIntervalMs > 0 && now - this.lastPublishedAt >= this.maxIntervalMs) return true;
    const values = this.values;
    const published = this.published;
    const deadband = this.deadband;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const last = published[i];
      if (value !== value || last !== last) {
        if ((value !== value) !== (last !== last)) return true; // appeared or went missing
        continue;
      }
      const limit = deadband[i];
      if (!(Math.abs(value - last) <= limit)) return true; // NaN limit: no deadband, always
    }
    return false;
  }

  /** Writes the payload of the next message: {"ts":...,"seq":...,"<key>":<value>...}; ts is left out when undefined. */
  write(json: JsonWriter, ts: number | undefined, keyTs: Uint8Array, keySeq: Uint8Array): void {
    json.begin();
    if (ts !== undefined) {
      json.key(keyTs);
      json.integer(ts);
    }
    json.key(keySeq);
    json.integer(++this.seq);
    const members = this.members;
    const values = this.values;
    const decimals = this.decimals;
    for (let i = 0; i < members.length; i++) {
      json.member(members[i]); // after seq: `,"key":` in one copy
      json.number(values[i], decimals[i]);
    }
    json.end();
  }

  /** The message was handed to the client: these values are now the reference for the deadband. */
  markPublished(now: number): void {
    this.published.set(this.values);
    this.lastPublishedAt = now;
    this.force = false;
    this.sent++;
  }
}
