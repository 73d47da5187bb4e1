/**
 * Home Assistant MQTT discovery: one retained config message per reading, under
 * `<prefix>/sensor/<deviceId>_<sensor>_<quantity>/config`, so the sensors appear in Home Assistant with no
 * YAML. Published on every connection, after the status and before any telemetry (the app's birth), and
 * again when Home Assistant announces itself (`<prefix>/status` = `online`, its birth message). Each config
 * names its origin (HA's `o` block: name, sw, url) beside the device. Built as strings when needed and
 * dropped once sent: connections and HA restarts are rare, and the strings would otherwise sit in RAM.
 */
import type { MqttClient } from "../mqtt/index.js";
import { ClientError } from "../mqtt/index.js";
import type { TelemetryTask } from "./task.js";

export interface DiscoveryDevice {
  deviceId: string;
  /** The device's name in Home Assistant; default the id. */
  name?: string;
  model: string;
  manufacturer: string;
  swVersion?: string;
  /** Home Assistant's discovery prefix; default "homeassistant". */
  prefix?: string;
  /** The software that publishes the configs: HA's `origin` block, abbreviated `o` ({name, sw, url}). */
  origin?: DiscoveryOrigin;
}

/** HA's origin mapping, with its documented abbreviations: name, sw (sw_version), url (support_url). */
export interface DiscoveryOrigin {
  name: string;
  sw?: string;
  url?: string;
}

export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

/** An object id Home Assistant accepts: [a-zA-Z0-9_-]. */
const objectId = (text: string): string => text.replace(/[^a-zA-Z0-9_-]/g, "_");

/** The config messages for these tasks. Allocates: call at set-up or on connect, not per sample. */
export function discoveryMessages(device: DiscoveryDevice, tasks: readonly TelemetryTask[]): DiscoveryMessage[] {
  const base = "devices/" + device.deviceId;
  const availability = [{ topic: base + "/status", payload_available: "online", payload_not_available: "offline" }];
  const block = {
    identifiers: [device.deviceId],
    name: device.name ?? device.deviceId,
    model: device.model,
    manufacturer: device.manufacturer,
    ...(device.swVersion ? { sw_version: device.swVersion } : {}),
  };
  const origin = device.origin;
  const o = origin === undefined ? undefined : { name: origin.name, ...(origin.sw ? { sw: origin.sw } : {}), ...(origin.url ? { url: origin.url } : {}) };
  const messages: DiscoveryMessage[] = [];
  for (const task of tasks) {
    for (const reading of task.readings) {
      const id = objectId(device.deviceId + "_" + task.name + "_" + reading.key);
      const unit = reading.haUnit ?? reading.unit;
      const config = {
        unique_id: id,
        name: task.name + " " + reading.key,
        device: block,
        ...(o ? { o } : {}),
        state_topic: base + "/telemetry/" + task.name,
        value_template: "{{ value_json." + reading.key + " }}",
        ...(unit ? { unit_of_measurement: unit } : {}),
        ...(reading.deviceClass ? { device_class: reading.deviceClass, state_class: "measurement" } : {}),
        availability,
        qos: task.qos,
      };
      messages.push({ topic: (device.prefix ?? "homeassistant") + "/sensor/" + id + "/config", payload: JSON.stringify(config) });
    }
  }
  return messages;
}

/** Publishes the discovery configs (on each connection, on HA's birth), resuming after the outbox had no room. */
export class Discovery {
  private pending: DiscoveryMessage[] | null = null;
  private next = 0;
  private readonly client: MqttClient;
  private readonly build: () => DiscoveryMessage[];

  constructor(client: MqttClient, build: () => DiscoveryMessage[]) {
    this.client = client;
    this.build = build;
  }

  /** Publish them all again (retained, QoS 1), from now. */
  restart(): void {
    this.rewind();
    this.flush();
  }

  /** Makes them all due again without publishing yet: flush() sends them (the app's birth order decides when). */
  rewind(): void {
    this.pending = this.build();
    this.next = 0;
  }

  /** Whether configs are still due (made due and not all in the client yet). */
  get due(): boolean {
    return this.pending !== null;
  }

  /** Publishes what is left; stops while the outbox has no room, until called again. Returns true when done. */
  flush(): boolean {
    const pending = this.pending;
    if (pending === null) return true;
    while (this.next < pending.length) {
      const message = pending[this.next];
      const result = this.client.publish(message.topic, message.payload, 1, true);
      if (result === ClientError.QueueFull || result === ClientError.MessageDropped || result === ClientError.NoPacketId) return false;
      this.next++; // sent, or refused for good (too large for the transmit buffer): go on
    }
    this.pending = null;
    return true;
  }
}
