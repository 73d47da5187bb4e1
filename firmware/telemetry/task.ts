/**
 * One telemetry task: a sensor, what it reports, how often, and when a sample is worth publishing
 * (report-by-exception). It holds its state in fixed arrays made once, so reading a sample, deciding and
 * writing its JSON allocate nothing on XS (the sensor driver's own sample() may: see README).
 */
import type { QoS } from "../mqtt/codec/packet.js";
import { utf8Bytes } from "../mqtt/codec/wire.js";
import { memberBytes, openingBytes, type JsonWriter } from "./json.js";
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

const EMPTY: Uint8Array = new Uint8Array(0);

export function bytesOf(text: string): Uint8Array {
  return utf8Bytes(text) ?? new Uint8Array(0); // the app's own constant keys: never a lone surrogate
}

export class TelemetryTask {
  readonly name: string;
  readonly kind: SensorDriver | undefined;
  readonly sensor: Sensor;
  readonly readings: readonly Reading[];
  /** Each reading's place in a sample, sample()[quantity][property], made once (read() looks up no Reading). */
  private readonly quantities: string[];
  private readonly properties: string[];
  /** JSON keys as bytes, made once. */
  readonly keys: Uint8Array[];
  /** Each key as the member that follows seq in the JSON, `,"key":`, made once. */
  private readonly members: Uint8Array[];
  /**
   * The payload's head as bytes for the ts and seq keys write() is given: `{"ts":`, `,"seq":` and, when ts
   * is left out, `{"seq":`. Made at the first write() and again only if it is given other keys (Telemetry
   * gives the same two arrays every time): copying them cost a sample 147 computrons less on XS than
   * begin() and two key() calls.
   */
  private headKeys: [Uint8Array | null, Uint8Array | null] = [null, null];
  private openTs = EMPTY;
  private seqMember = EMPTY;
  private openSeq = EMPTY;
  readonly decimals: Uint8Array;
  /** Per reading; NaN: no deadband, every sample is published. */
  readonly deadband: Float64Array;
  /** No reading has a deadband: every sample read is published (shouldPublish() need not compare). */
  private readonly everySample: boolean;
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
    this.quantities = readings.map((r) => r.quantity);
    this.properties = readings.map((r) => r.property);
    this.keys = readings.map((r) => bytesOf(r.key));
    this.members = this.keys.map(memberBytes);
    this.decimals = Uint8Array.from(readings, (r) => r.decimals);
    this.deadband = Float64Array.from(readings, (r) => config.deadband?.[r.key] ?? NaN);
    this.everySample = this.deadband.every((limit) => limit !== limit);
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
    const quantities = this.quantities;
    const properties = this.properties;
    const values = this.values;
    let found = 0;
    for (let i = 0; i < quantities.length; i++) {
      const group = sample[quantities[i]];
      // A Float64Array stores undefined (a missing property) as NaN. `== null`: undefined or null, one comparison.
      values[i] = group == null ? NaN : (group[properties[i]] as number);
      if (values[i] === values[i]) found++;
    }
    return found > 0 ? true : this.fail("no readings in the sample");
  }

  private fail(message: string): false {
    this.errors++;
    this.lastError = message;
    return false;
  }

  /** Report-by-exception: whether the sample just read (read() returned true) should be published at `now`. */
  shouldPublish(now: number): boolean {
    // Without a deadband the loop below returns true at the first reading present, and a sample read has
    // one: skipping it saves 71 of the 97 computrons this cost on XS for an SHT3x.
    if (this.force || this.everySample) return true;
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
    const keys = this.headKeys;
    if (keys[0] !== keyTs || keys[1] !== keySeq) {
      keys[0] = keyTs;
      keys[1] = keySeq;
      this.openTs = openingBytes(keyTs);
      this.seqMember = memberBytes(keySeq);
      this.openSeq = openingBytes(keySeq);
    }
    if (ts !== undefined) {
      json.open(this.openTs);
      json.integer(ts);
      json.member(this.seqMember);
    } else json.open(this.openSeq);
    json.integer(++this.seq);
    json.members(this.members, this.values, this.decimals); // after seq: each `,"key":` in one copy, then its value
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
