/**
 * The telemetry of a device: its tasks, one JSON buffer, one topic handle per task, and a backlog. run() is
 * the hot path (read the sensor, decide, write the JSON, publish it) and allocates nothing on XS.
 *
 * Birth order. The client's outbox is one FIFO: a message queued in it while offline goes out, after a
 * reconnect, before anything the app publishes from onConnected, such as the retained `online` status and
 * the discovery configs. So samples are not handed to the client while it cannot send them: they wait here,
 * in the backlog (fixed bytes), and go once the client is connected and, with `awaitRelease`, once the app
 * has released this connection (its birth messages are in the outbox ahead of them). Every sample keeps its
 * place: while the backlog holds any, new ones join it. The client is also kept short of telemetry: at most
 * `handOff` messages in its outbox (default its in-flight window), so the status, discovery and command
 * results always find room, and a link that dies unnoticed holds at most that many samples in the client.
 * Those few (published while the connection looked up) may precede the next birth: the ones sent are
 * resent first, as MQTT requires [MQTT-4.4.0-1]. This keeps the client as it is (its delivery rules and
 * their model untouched) and costs one copy of each sample written while offline.
 */
import { ClientError, ClientState, type MqttClient, type TopicHandle } from "../mqtt/index.js";
import { Backlog } from "./backlog.js";
import { JsonWriter } from "./json.js";
import { bytesOf, TelemetryTask, type SensorConfig } from "./task.js";

export interface TelemetryOptions {
  /** Bytes of the backlog (samples waiting for the connection). Default 4096. */
  backlogSize?: number;
  /** At most this many messages in the client's outbox before samples wait in the backlog. Default: the client's `inflight`. */
  handOff?: number;
  /** Samples wait after each connect until release() (the app publishes its birth messages first). Default false. */
  awaitRelease?: boolean;
}

export interface TelemetryEvents {
  /**
   * A message was handed to the client (at once, or later from the backlog): its packet id (0 at QoS 0), or
   * a negative ClientError when the client refused it for good.
   */
  onPublished?: (sensor: string, packetId: number) => void;
  /** A sensor failed to read; it is tried again at its next interval. */
  onSensorError?: (sensor: string, message: string) => void;
}

export class Telemetry {
  readonly tasks: TelemetryTask[];
  readonly json: JsonWriter;
  /** Samples waiting for the connection, oldest first. */
  readonly backlog: Backlog;
  /** Payloads that did not fit the JSON buffer (not sent). */
  overflows = 0;
  private readonly client: MqttClient;
  private readonly handOff: number;
  private readonly awaitRelease: boolean;
  /** The connection (client.stats.connects) the app released; -1: none yet. */
  private released = -1;
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
  constructor(
    client: MqttClient,
    prefix: string,
    sensors: readonly SensorConfig[],
    clock: () => number | undefined,
    events: TelemetryEvents = {},
    payloadSize = 256,
    options: TelemetryOptions = {},
  ) {
    if (sensors.length > 256) throw new RangeError("at most 256 sensors");
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
    this.backlog = new Backlog(options.backlogSize ?? 4096);
    // Half the outbox at most by default: the rest is for the status, discovery and command results.
    const slots = client.options.queueSlots;
    this.handOff = options.handOff ?? Math.max(1, Math.min(client.options.inflight, slots >> 1));
    this.awaitRelease = options.awaitRelease ?? false;
  }

  /** The app's birth messages for this connection are in the client's outbox: samples may follow them. */
  release(): void {
    if (this.client.state !== ClientState.Connected) return;
    this.released = this.client.stats.connects;
    this.drain();
  }

  /** Whether the client takes a sample now: connected, released (if asked), and not holding handOff messages. */
  private ready(): boolean {
    const client = this.client;
    if (client.state !== ClientState.Connected) return false;
    if (this.awaitRelease && this.released !== client.stats.connects) return false;
    return client.queuedCount() < this.handOff;
  }

  /** Hands the backlog to the client, oldest first, while it takes samples. Call after acks and ticks. */
  drain(): void {
    const backlog = this.backlog;
    while (backlog.count > 0 && this.ready()) {
      const index = backlog.task();
      const task = this.tasks[index];
      const id = this.client.publish(this.topics[index], backlog.bytes, task.qos, task.retain, backlog.offset(), backlog.length());
      if (noRoom(id)) return; // stays first, until an ack makes room
      backlog.shift();
      this.events.onPublished?.(task.name, id);
    }
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
    if (this.backlog.count === 0 && this.ready()) {
      // The JSON's bytes as one whole array (trimmed to them), else as a range of the writer's buffer.
      let id: number;
      if (json.trim()) {
        try {
          id = this.client.publish(this.topics[index], json.buffer, task.qos, task.retain);
        } finally {
          json.untrim();
        }
      } else id = this.client.publish(this.topics[index], json.buffer, task.qos, task.retain, 0, json.length);
      // Taken (id >= 0) is the usual answer, checked first: noRoom() compares four error codes (41 computrons a sample on XS).
      if (id >= 0) {
        task.markPublished(now);
        this.events.onPublished?.(task.name, id);
        return;
      }
      if (!noRoom(id)) {
        this.events.onPublished?.(task.name, id);
        return;
      }
    }
    // Not now (offline, before the birth, no room, or older samples waiting): it waits its turn, and counts
    // as published for the deadband (it will be).
    if (this.backlog.push(index, json.buffer, json.length) >= 0) task.markPublished(now);
    else this.overflows++; // larger than the whole backlog
  }
}

/** The client did not take it now but may later: no room or packet id yet, or it is ending (a later start() may follow). */
function noRoom(id: number): boolean {
  return id === ClientError.QueueFull || id === ClientError.MessageDropped || id === ClientError.NoPacketId || id === ClientError.Ended;
}
