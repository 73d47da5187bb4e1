/**
 * The device application: connects to the broker, keeps `devices/<id>/status` retained ("online" on
 * connect, "offline" as the last will), and publishes each sensor's readings as JSON to
 * `devices/<id>/telemetry/<sensor>` on a schedule. The same module runs on a board (firmware/main.ts
 * passes the device's modules) and in the simulator (host-sim passes Node implementations).
 */
import { MqttClient, type TopicHandle } from "./mqtt/client.js";
import type { MessageView } from "./mqtt/message.js";
import type { ClientOptions } from "./mqtt/options.js";
import type { QoS } from "./mqtt/packet.js";
import { utf8Length, writeUtf8 } from "./mqtt/wire.js";
import { MqttConnection, type BrokerAddress, type ConnectionEvents } from "./net/connection.js";
import type { NetDevice } from "./net/device.js";
import { JsonWriter } from "./telemetry/json.js";

/** A sensor as the ECMA-419 drivers shape them: sample() returns its readings by quantity. */
export interface Sensor {
  sample(): Record<string, Record<string, number> | undefined> | undefined;
}

export interface SensorConfig {
  /** The topic level naming it: devices/<id>/telemetry/<name>. */
  name: string;
  sensor: Sensor;
  /** Which readings to publish: JSON key -> [quantity, property, decimals], e.g. temperature -> thermometer.temperature. */
  readings: { key: string; quantity: string; property: string; decimals: number }[];
  intervalMs: number;
  qos?: QoS;
}

export interface DeviceConfig {
  deviceId: string;
  broker: BrokerAddress;
  username?: string;
  password?: string;
  keepalive?: number;
  /** Client sizes (from the board). */
  client?: Partial<ClientOptions>;
  sensors: SensorConfig[];
  /** Wall-clock milliseconds (UTC) for "ts", or undefined while the clock is not set. */
  clock?: () => number | undefined;
}

/** What a running device reports to its owner (the simulator's display, logs). */
export interface DeviceEvents extends ConnectionEvents {
  onConnected?: (sessionPresent: boolean) => void;
  onDisconnected?: (reason: number) => void;
  onPublished?: (sensor: string, packetId: number) => void;
  onAcked?: (packetId: number) => void;
  onSensorError?: (sensor: string) => void;
  onMessage?: (message: MessageView) => void;
}

const encoder = (text: string): Uint8Array => {
  const bytes = new Uint8Array(utf8Length(text));
  writeUtf8(bytes, 0, text);
  return bytes;
};

export class Device {
  readonly client: MqttClient;
  readonly connection: MqttConnection;
  readonly config: DeviceConfig;
  private readonly device: NetDevice;
  private readonly events: DeviceEvents;
  private readonly status: TopicHandle;
  private readonly telemetry: TopicHandle[];
  private readonly keys: Uint8Array[][];
  private readonly json = new JsonWriter(256);
  private readonly seq: number[];
  private readonly timers: unknown[] = [];
  private readonly online = encoder("online");
  private readonly keyTs = encoder("ts");
  private readonly keySeq = encoder("seq");
  /** Sensor reads that failed, by sensor. */
  readonly sensorErrors: number[];

  constructor(config: DeviceConfig, device: NetDevice, events: DeviceEvents = {}) {
    this.config = config;
    this.device = device;
    this.events = events;
    const prefix = "devices/" + config.deviceId;
    this.client = new MqttClient({
      clientId: config.deviceId,
      keepalive: config.keepalive ?? 60,
      clean: false,
      username: config.username,
      password: config.password,
      will: { topic: prefix + "/status", payload: "offline", qos: 1, retain: true },
      ...config.client,
      onConnected: (present) => {
        this.client.publish(this.status, this.online, 1, true);
        this.connection.service();
        events.onConnected?.(present);
      },
      onDisconnected: (reason) => events.onDisconnected?.(reason),
      onAcked: (id) => events.onAcked?.(id),
      onMessage: (message) => events.onMessage?.(message),
    });
    this.connection = new MqttConnection(this.client, config.broker, device, events);
    this.status = this.client.topic(prefix + "/status");
    this.telemetry = config.sensors.map((s) => this.client.topic(prefix + "/telemetry/" + s.name));
    this.keys = config.sensors.map((s) => s.readings.map((r) => encoder(r.key)));
    this.seq = config.sensors.map(() => 0);
    this.sensorErrors = config.sensors.map(() => 0);
  }

  start(): void {
    this.connection.start();
    this.config.sensors.forEach((sensor, index) => {
      this.timers.push(this.device.Timer.set(() => this.sample(index), sensor.intervalMs, sensor.intervalMs));
    });
  }

  stop(): void {
    for (const timer of this.timers) this.device.Timer.clear(timer);
    this.timers.length = 0;
    this.connection.stop();
  }

  /** Samples one sensor and publishes its readings; a failed read is counted and reported, and the others go on. */
  sample(index: number): void {
    const config = this.config.sensors[index];
    let reading: ReturnType<Sensor["sample"]>;
    try {
      reading = config.sensor.sample();
    } catch {
      reading = undefined;
    }
    if (!reading) {
      this.sensorErrors[index]++;
      this.events.onSensorError?.(config.name);
      return;
    }
    const json = this.json;
    json.begin();
    const ts = this.config.clock?.();
    if (ts !== undefined) {
      json.key(this.keyTs);
      json.integer(ts);
    }
    json.key(this.keySeq);
    json.integer(++this.seq[index]);
    const keys = this.keys[index];
    for (let i = 0; i < keys.length; i++) {
      const r = config.readings[i];
      json.key(keys[i]);
      json.number(reading[r.quantity]?.[r.property] ?? NaN, r.decimals);
    }
    json.end();
    if (json.overflow) return;
    const id = this.client.publish(this.telemetry[index], json.buffer, config.qos ?? 1, false, 0, json.length);
    this.events.onPublished?.(config.name, id);
    this.connection.service();
  }
}
