/**
 * The telemetry of a device: its tasks, one JSON buffer, and one topic handle per task. run() is the hot
 * path (read the sensor, decide, write the JSON, publish it) and allocates nothing on XS.
 */
import type { MqttClient, TopicHandle } from "../mqtt/index.js";
import { JsonWriter } from "./json.js";
import { bytesOf, TelemetryTask, type SensorConfig } from "./task.js";

export interface TelemetryEvents {
  /** A message was handed to the client: its packet id (0 at QoS 0) or a negative ClientError. */
  onPublished?: (sensor: string, packetId: number) => void;
  /** A sensor failed to read; it is tried again at its next interval. */
  onSensorError?: (sensor: string, message: string) => void;
}

export class Telemetry {
  readonly tasks: TelemetryTask[];
  readonly json: JsonWriter;
  /** Payloads that did not fit the JSON buffer (not sent). */
  overflows = 0;
  private readonly client: MqttClient;
  private readonly topics: TopicHandle[];
  private readonly clock: () => number | undefined;
  private readonly events: TelemetryEvents;
  private readonly keyTs = bytesOf("ts");
  private readonly keySeq = bytesOf("seq");

  /**
   * @param prefix `devices/<deviceId>`: each task publishes to `<prefix>/telemetry/<name>`.
   * @param clock wall-clock ms for "ts", or undefined while the device clock is not set.
   * @param payloadSize bytes of the JSON buffer (every payload must fit it).
   */
  constructor(client: MqttClient, prefix: string, sensors: readonly SensorConfig[], clock: () => number | undefined, events: TelemetryEvents = {}, payloadSize = 256) {
    const names = new Set<string>();
    for (const s of sensors) {
      if (names.has(s.name)) throw new TypeError(`two sensors named ${s.name}`);
      names.add(s.name);
    }
    this.client = client;
    this.tasks = sensors.map((s) => new TelemetryTask(s));
    this.topics = sensors.map((s) => client.topic(prefix + "/telemetry/" + s.name));
    this.json = new JsonWriter(payloadSize);
    this.clock = clock;
    this.events = events;
  }

  /** The task named `name`, or -1. */
  indexOf(name: string): number {
    for (let i = 0; i < this.tasks.length; i++) if (this.tasks[i].name === name) return i;
    return -1;
  }

  /** Samples task `index` and publishes its reading if report-by-exception says so. */
  run(index: number, now: number): void {
    const task = this.tasks[index];
    if (!task.read()) {
      this.events.onSensorError?.(task.name, task.lastError);
      return;
    }
    if (!task.shouldPublish(now)) {
      task.suppressed++;
      return;
    }
    const json = this.json;
    task.write(json, this.clock(), this.keyTs, this.keySeq);
    if (json.overflow) {
      this.overflows++;
      return;
    }
    const id = this.client.publish(this.topics[index], json.buffer, task.qos, task.retain, 0, json.length);
    if (id >= 0) task.markPublished(now); // refused (queue full): the next sample is compared with the last sent
    this.events.onPublished?.(task.name, id);
  }
}
