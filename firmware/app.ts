/**
 * The device application: connects to the broker, keeps `devices/<id>/status` retained ("online" on
 * connect, "offline" as the last will), publishes Home Assistant discovery on every connection (after the
 * status and before any telemetry: birth()) and when Home Assistant announces itself, runs the sensor tasks
 * from one timer (telemetry JSON to `devices/<id>/telemetry/<sensor>`), and answers commands
 * on `devices/<id>/cmd/<name>` with results on `devices/<id>/cmd-result`. The same module runs on a board
 * (firmware/main.ts passes the device's modules) and in the simulator (host-sim passes Node's).
 */
import { ClientError, ClientState, MqttClient, type TopicHandle } from "./mqtt/index.js";
import type { DeviceConfig } from "./config.js";
import type { MessageView } from "./mqtt/index.js";
import { MqttConnection, type ConnectionEvents, type NetDevice } from "./net/index.js";
import { runCommand, type CommandResult } from "./telemetry/commands.js";
import { Discovery, discoveryMessages } from "./telemetry/discovery.js";
import { Scheduler } from "./telemetry/scheduler.js";
import { bytesOf } from "./telemetry/task.js";
import { Telemetry, type TelemetryEvents } from "./telemetry/telemetry.js";

export type { Sensor, SensorConfig } from "./telemetry/task.js";
export type { DeviceConfig } from "./config.js";

/** The firmware's version, in the discovery device block and the config report. */
export const VERSION = "0.1.0";

/** What a running device reports to its owner (the simulator's display, logs). */
export interface DeviceEvents extends ConnectionEvents, TelemetryEvents {
  onConnected?: (sessionPresent: boolean) => void;
  /**
   * The connection failed or ended: `reason` is the client's DisconnectReason, `cause` the transport's
   * TransportCause (0: none; describeCause(cause, device.connection) has the words with the address),
   * `retryIn` the milliseconds until the next attempt (-1: none, the client was ended).
   */
  onDisconnected?: (reason: number, cause: number, retryIn: number) => void;
  onAcked?: (packetId: number) => void;
  /** A command ran; its result was published on cmd-result. */
  onCommand?: (result: CommandResult) => void;
  /** A message other than a command (none are subscribed today). */
  onMessage?: (message: MessageView) => void;
}

const noClock = (): undefined => undefined;

/** The client had no room for a message now (or no packet id): try again after an ack. */
const noRoom = (id: number): boolean => id === ClientError.QueueFull || id === ClientError.MessageDropped || id === ClientError.NoPacketId;

/** Whether a message's payload is exactly these bytes (allocates nothing). */
function payloadIs(message: MessageView, bytes: Uint8Array): boolean {
  if (message.payloadLength !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (message.payloadByte(i) !== bytes[i]) return false;
  return true;
}

export class Device {
  readonly client: MqttClient;
  readonly connection: MqttConnection;
  readonly config: DeviceConfig;
  readonly telemetry: Telemetry;
  readonly scheduler: Scheduler;
  readonly discovery: Discovery | null;
  private readonly events: DeviceEvents;
  private readonly status: TopicHandle;
  private readonly result: TopicHandle;
  private readonly online = bytesOf("online");
  private readonly offline = bytesOf("offline");
  /** The retained `online` of this connection is still to be queued. */
  private statusDue = false;

  constructor(config: DeviceConfig, device: NetDevice, events: DeviceEvents = {}) {
    this.config = config;
    this.events = events;
    const prefix = "devices/" + config.deviceId;
    // Handlers only queue (publish, schedule): the connection flushes after every socket event and tick.
    this.client = new MqttClient({
      clientId: config.deviceId,
      keepalive: config.keepalive ?? 60,
      clean: false,
      username: config.username,
      password: config.password,
      will: { topic: prefix + "/status", payload: "offline", qos: 1, retain: true },
      ...config.client,
      onConnected: (present) => this.connected(present),
      onDisconnected: (reason) => {
        const next = this.client.nextAttemptAt;
        events.onDisconnected?.(reason, this.connection.cause, next < 0 ? -1 : next - this.connection.now());
      },
      onAcked: (id) => {
        this.birth(); // the rest of the birth if the outbox was full, then samples waiting in the backlog
        events.onAcked?.(id);
      },
      onMessage: (message) => events.onMessage?.(message),
    });
    this.connection = new MqttConnection(this.client, config.broker, device, events);
    this.status = this.client.topic(prefix + "/status");
    this.result = this.client.topic(prefix + "/cmd-result");
    // Samples wait in the telemetry's backlog (as many bytes as the outbox) while offline and until this
    // connection's birth messages are queued: see birth().
    this.telemetry = new Telemetry(this.client, prefix, config.sensors, config.clock ?? noClock, events, config.payloadSize, {
      backlogSize: this.client.options.transmitBufferSize,
      awaitRelease: true,
    });
    const telemetry = this.telemetry;
    const connection = this.connection;
    // The connection's clock: Time.ticks unwrapped, so due times survive the 24.8-day wrap.
    this.scheduler = new Scheduler(telemetry.tasks, device.Timer, () => connection.now(), {
      runTask: (index, now) => telemetry.run(index, now),
      afterTick: () => {
        this.birth(); // samples taken offline or before the birth go now if they can
        connection.service();
      },
    });
    const discovery = config.discovery ?? true;
    this.discovery =
      discovery === false
        ? null
        : new Discovery(this.client, () =>
            discoveryMessages(
              {
                deviceId: config.deviceId,
                model: config.model ?? "mqtt-xs device",
                manufacturer: config.manufacturer ?? "mqtt-xs",
                swVersion: "mqtt-xs " + VERSION,
                prefix: discovery === true ? undefined : discovery.prefix,
                origin: { name: "mqtt-xs", sw: VERSION }, // no url until the project has a public home
              },
              telemetry.tasks,
            ),
          );
    // QoS 1: a command sent while the device was away is delivered when it is back (persistent session).
    this.client.subscribe([{ topic: prefix + "/cmd/+", qos: 1, onMessage: (message) => this.command(message) }]);
    // Home Assistant's birth message: `online` on <discovery prefix>/status when it (re)starts; it forgets
    // what it discovered unless the configs are retained, so they go again. QoS 0 (as HA publishes it): one
    // sent while the device was away is not worth queuing, the connect sends them anyway.
    if (discovery !== false) {
      const ha = (discovery === true ? undefined : discovery.prefix) || "homeassistant";
      this.client.subscribe([{ topic: ha + "/status", qos: 0, onMessage: (message) => this.homeAssistant(message) }]);
    }
  }

  start(): void {
    this.connection.start();
    this.scheduler.start();
  }

  /** Stops: retained "offline" on the status topic (a DISCONNECT cancels the will that would say so), then DISCONNECT. */
  stop(): void {
    this.scheduler.stop();
    this.client.publish(this.status, this.offline, 0, true);
    this.connection.service(); // out before the DISCONNECT
    this.connection.stop();
  }

  private connected(sessionPresent: boolean): void {
    this.statusDue = true;
    this.discovery?.rewind();
    this.birth();
    this.events.onConnected?.(sessionPresent);
  }

  /**
   * The birth of a connection, in order: the retained `online` status, the discovery configs, then the
   * telemetry's backlog (samples taken while offline or before now). The client's outbox is FIFO and a
   * message queued in it while offline would go out before anything published from onConnected, so the
   * telemetry hands the client no sample until release() (telemetry.ts). Resumes where the outbox had no
   * room: called on connect, after every ack and after every scheduler tick.
   */
  private birth(): void {
    const client = this.client;
    if (client.state !== ClientState.Connected) return;
    if (this.statusDue) {
      if (noRoom(client.publish(this.status, this.online, 1, true))) return;
      this.statusDue = false;
    }
    if (this.discovery !== null && !this.discovery.flush()) return;
    this.telemetry.release();
  }

  /** A message on <discovery prefix>/status: Home Assistant's `online` makes the configs due again; anything else is ignored. */
  private homeAssistant(message: MessageView): void {
    // A retained `online` (HA told to retain its birth) comes with every subscription, right after the
    // configs went on connect: not a restart.
    if (message.retain || this.discovery === null || !payloadIs(message, this.online)) return;
    this.discovery.rewind();
    this.birth();
  }

  /** A message on cmd/<name>: runs it and publishes the result. Allocates (commands are rare). */
  private command(message: MessageView): void {
    const topic = message.topicString();
    const name = topic.slice(topic.lastIndexOf("/") + 1);
    const result = runCommand(name, message.payloadString(), this);
    this.client.publish(this.result, JSON.stringify(result), 1, false);
    this.events.onCommand?.(result);
  }

  /** The `config` command's report: the configuration and each sensor's counters. */
  report(): Record<string, unknown> {
    const config = this.config;
    const stats = this.client.stats;
    return {
      deviceId: config.deviceId,
      board: config.boardName ?? null,
      version: VERSION,
      discovery: this.discovery !== null,
      sensors: this.telemetry.tasks.map((task) => ({
        name: task.name,
        kind: task.kind ?? null,
        interval: task.intervalMs / 1000,
        maxInterval: task.maxIntervalMs / 1000,
        deadband: Object.fromEntries(task.readings.map((r, i) => [r.key, task.deadband[i] === task.deadband[i] ? task.deadband[i] : null])),
        qos: task.qos,
        retain: task.retain,
        seq: task.seq,
        samples: task.samples,
        published: task.sent,
        suppressed: task.suppressed,
        errors: task.errors,
        lastError: task.lastError || null,
      })),
      client: { connects: stats.connects, queued: stats.queued, sent: stats.sent, acked: stats.acked, dropped: stats.dropped },
      backlog: { waiting: this.telemetry.backlog.count, dropped: this.telemetry.backlog.dropped },
    };
  }
}
