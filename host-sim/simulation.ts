/**
 * What `npm start` runs, apart from how it is shown: the subscriber (our own client on the host, counting
 * what arrives by kind), the simulated boards running the firmware's device app, each device's state and
 * the cause of its last disconnect, the tallies and the summary, faults on demand (one device or all) and
 * commands to a device (published by the subscriber on devices/<id>/cmd/<name>). What happens goes to a
 * listener as events (a kind, its fields, its words): host-sim/cli.ts writes them as lines and hands them
 * to the live page (host-sim/web/).
 */
import type { Device } from "../firmware/app.js";
import { disconnectMessage, errorMessage, MqttClient } from "../firmware/mqtt/index.js";
import { MqttConnection, type BrokerAddress } from "../firmware/net/connection.js";
import { describeCause } from "../firmware/net/causes.js";
import type { Board } from "./boards.js";
import { bootBoard, type BootOptions } from "./boot.js";
import { armPowerCut } from "./board-flash.js";
import type { SimFlash } from "./device/flash.js";
import type { EmbeddedBroker } from "./broker.js";
import { classify, payloadFields, Tally, type Summary } from "./cli-report.js";
import { SimNetwork } from "./network.js";
import { simulatedDevice } from "./simulated-device.js";

/** Something that happened to `device` ("subscriber", "broker" or a device's id); `who` heads its text line. */
export interface SimEvent {
  device: string;
  kind: string;
  fields: Record<string, unknown>;
  text: string;
  who: string;
}

/** The faults a device (or all of them) can be given; broker-restart is the embedded broker's. */
export const FAULTS = ["drop", "stall", "drip", "wifi-down", "wifi-up", "broker-restart", "power-cut"] as const;
export type FaultKind = (typeof FAULTS)[number];

export type DeviceState = "connecting" | "connected" | "offline";

export interface SimulationConfig {
  board: Board;
  devices: number;
  broker: BrokerAddress;
  /** The embedded broker, if the boards use it (broker-restart, the broker's view); null: --broker. */
  embedded: EmbeddedBroker | null;
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
  /** Telemetry interval of every sensor, ms; absent: each sensor's own. */
  interval?: number;
}

export interface SimDevice {
  id: string;
  device: Device;
  network: SimNetwork;
  /** What its client accepted (stats.queued), by kind. */
  published: Tally;
  state: DeviceState;
  /** The last disconnect or failed attempt: its words and codes, and when (ms since the epoch). */
  lastDisconnect: { why: string; reason: number; cause: number; at: number } | null;
}

/** A disconnect or failed attempt in words: the transport's cause with its address (else the client's reason), the code, and when the next attempt is. */
function disconnected(reason: number, cause: number, retryIn: number, connection: MqttConnection): string {
  const why = cause !== 0 ? `${describeCause(cause, connection)} (0x${cause.toString(16)})` : `${disconnectMessage(reason)} (0x${reason.toString(16)})`;
  return `disconnected: ${why}; ${retryIn < 0 ? "no reconnect" : `next attempt in ${(retryIn / 1000).toFixed(1)} s`}`;
}

/** The disconnect's fields for --json. */
function disconnectFields(reason: number, cause: number, retryIn: number, connection: MqttConnection): Record<string, unknown> {
  return {
    reason,
    cause,
    why: cause !== 0 ? describeCause(cause, connection) : disconnectMessage(reason),
    retryIn: retryIn < 0 ? null : retryIn / 1000,
  };
}

/**
 * Counts what a device's client accepts, by topic: the parts of its stats.queued (which counts a publish
 * exactly when it returns a packet id, 0 at QoS 0). The device app reports only telemetry (onPublished),
 * not its status, discovery or command results, so the simulator wraps this client's publish instead:
 * the firmware stays as a board runs it.
 */
function countPublishes(client: MqttClient, tally: Tally): void {
  const publish = client.publish.bind(client);
  client.publish = (topic, payload, qos, retain, offset, length) => {
    const id = publish(topic, payload, qos, retain, offset, length);
    if (id >= 0) tally.add(classify(typeof topic === "string" ? topic : topic.name).kind);
    return id;
  };
}

/** The topics the subscriber takes: everything the device app publishes, and the commands sent to it. */
export const SUBSCRIBER_TOPICS = ["devices/+/telemetry/#", "devices/+/status", "devices/+/cmd/+", "devices/+/cmd-result", "homeassistant/sensor/+/config"];

export class Simulation {
  readonly config: SimulationConfig;
  readonly devices: SimDevice[] = [];
  /** What the subscriber received, by kind. */
  readonly received = new Tally();
  /** The embedded broker's own count: PUBLISH it took from clients, and whether it is up (false while restarting). */
  brokerMessages = 0;
  brokerUp = true;
  private readonly emit: (event: SimEvent) => void;
  private readonly subscriberClient: MqttClient;
  private readonly subscriber: MqttConnection;
  private readonly timers = new Set<NodeJS.Timeout>();
  private autoFaults: NodeJS.Timeout | null = null;
  /** Each board's boot options and flash: a power cut boots it again over the same flash (power-cut). */
  private readonly boots = new Map<string, { options: BootOptions; flash: SimFlash | null }>();

  constructor(config: SimulationConfig, listener: (event: SimEvent) => void) {
    this.config = config;
    this.emit = listener;
    config.embedded?.aedes.on("publish", (_packet, client) => {
      if (client) this.brokerMessages++; // not the broker's own ($SYS)
    });
    const event = this.event.bind(this);
    const subscriberClient = new MqttClient({
      clientId: `mqtt-xs-sim-sub-${process.pid}`,
      protocolVersion: config.protocolVersion,
      username: config.username,
      password: config.password,
      onConnected: () => event("subscriber", "connected", { topics: SUBSCRIBER_TOPICS }, `connected; subscribed to ${SUBSCRIBER_TOPICS.join(", ")}`),
      onDisconnected: (reason) => {
        const next = subscriberClient.nextAttemptAt;
        const retryIn = next < 0 ? -1 : next - this.subscriber.now();
        event("subscriber", "disconnected", disconnectFields(reason, this.subscriber.cause, retryIn, this.subscriber), disconnected(reason, this.subscriber.cause, retryIn, this.subscriber));
      },
      onMessage: (m) => {
        const topic = m.topicString();
        const payload = m.payloadString();
        const { kind, device, name } = classify(topic, payload);
        this.received.add(kind);
        const fields = { by: "subscriber", topic, ...(name === undefined ? {} : { name }), retain: m.retain, ...payloadFields(payload) };
        let text = `${topic} ${payload}`;
        if (kind === "discovery") text = `${topic} (discovery config, ${m.payloadLength} bytes${m.retain ? ", retained" : ""})`;
        else if (kind === "command") text = `command ${name} to ${device}: ${payload === "" ? "(no payload)" : payload}`;
        else if (kind === "result") text = `command result from ${device}: ${payload}`;
        event(kind === "other" ? "subscriber" : device, kind === "other" ? "message" : kind, fields, text, "subscriber");
      },
    });
    subscriberClient.subscribe(SUBSCRIBER_TOPICS.map((topic) => ({ topic, qos: 1 as const })));
    this.subscriberClient = subscriberClient;
    this.subscriber = new MqttConnection(subscriberClient, config.broker, simulatedDevice(new SimNetwork({ name: "subscriber" })));
  }

  private event(device: string, kind: string, fields: Record<string, unknown>, text: string, who = device): void {
    this.emit({ device, kind, fields, text, who });
  }

  /** Starts the subscriber, then boots the boards (each starts at once). */
  start(): void {
    this.subscriber.start();
    const { board, broker } = this.config;
    for (let n = 0; n < this.config.devices; n++) {
      const id = `${board.name.replace(/_/g, "-")}-${(0xa1b2c3 + n).toString(16)}`;
      const connection = (): MqttConnection => device.connection;
      const state = (s: DeviceState, last?: SimDevice["lastDisconnect"]) => {
        const entry = this.devices[n] as SimDevice | undefined; // pushed before its start(): events come after
        if (entry) entry.state = s;
        if (entry && last) entry.lastDisconnect = last;
      };
      const options: BootOptions = {
        board,
        broker,
        deviceId: id,
        username: this.config.username,
        password: this.config.password,
        protocolVersion: this.config.protocolVersion,
        interval: this.config.interval, // undefined: each sensor's own, from the board file
        seed: n + 1,
        start: false,
        events: {
          onAttempt: (host, address) => {
            state("connecting");
            this.event(id, "connecting", { host, address, port: broker.port, tls: broker.tls }, address ? `connecting to ${address}:${broker.port}${broker.tls ? " (TLS)" : ""}` : `resolving ${host}`);
          },
          onConnected: (present) => {
            state("connected");
            this.event(id, "connected", { sessionPresent: present }, `connected (session present: ${present ? "yes" : "no"})`);
          },
          onDisconnected: (reason, cause, retryIn) => {
            const fields = disconnectFields(reason, cause, retryIn, connection());
            state("offline", { why: fields.why as string, reason, cause, at: Date.now() });
            this.event(id, "disconnected", fields, disconnected(reason, cause, retryIn, connection()));
          },
          onPublished: (sensor, packetId) => {
            if (packetId < 0) this.event(id, "publish-refused", { sensor, code: packetId, why: errorMessage(packetId) }, `publish ${sensor} refused: ${errorMessage(packetId)}`);
          },
          onSensorError: (sensor, message) => this.event(id, "sensor-error", { sensor, message }, `sensor ${sensor} failed to read`),
          onCommand: (result) => {
            const { cmd, ok, error } = result;
            this.event(id, "command-ran", { cmd, ok, ...(error === undefined ? {} : { error }) }, `ran command ${cmd}: ${ok ? "ok" : `failed: ${error}`}`);
          },
        },
      };
      const { device, network, flash } = bootBoard(options);
      this.boots.set(id, { options, flash });
      const published = new Tally();
      countPublishes(device.client, published);
      this.devices.push({ id, device, network, published, state: "connecting", lastDisconnect: null });
      device.start();
    }
  }

  /** The device of that id, if there is one. */
  find(id: string): SimDevice | undefined {
    return this.devices.find((d) => d.id === id);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /**
   * Injects a fault into one device (by id) or all ("all"); broker-restart is the embedded broker's,
   * whatever the target. `wifiDownMs`: Wi-Fi comes back by itself after that long (absent: at wifi-up).
   * `from`: who asked, in the event's fields. Returns the words of a refusal, else undefined.
   */
  fault(target: string, kind: string, options: { wifiDownMs?: number; from?: string } = {}): string | undefined {
    if (!(FAULTS as readonly string[]).includes(kind)) return `unknown fault ${JSON.stringify(kind)}: one of ${FAULTS.join(", ")}`;
    const by = options.from === undefined ? {} : { from: options.from };
    if (kind === "broker-restart") {
      const embedded = this.config.embedded;
      if (embedded === null) return "broker-restart: only the embedded broker can be restarted (this run uses --broker)";
      if (!this.brokerUp) return "broker-restart: the broker is restarting already";
      this.brokerUp = false;
      this.event("broker", "fault", { fault: kind, ...by }, "FAULT: embedded broker restarting (down 1 s)");
      void embedded.restart(1000).then(() => {
        this.brokerUp = true;
        this.event("broker", "broker-back", {}, "back");
      });
      return undefined;
    }
    const targets = target === "all" ? this.devices : this.devices.filter((d) => d.id === target);
    if (targets.length === 0) return `unknown device ${JSON.stringify(target)}: one of ${this.devices.map((d) => d.id).join(", ")} or all`;
    for (const { id, network } of targets) {
      const fault = (text: string) => this.event(id, "fault", { fault: kind, ...by }, `FAULT: ${text}`);
      if (kind === "drop") {
        fault("link dropped");
        network.drop();
      } else if (kind === "stall") {
        fault("link stalled for 3 s");
        network.stall(3000);
      } else if (kind === "drip") {
        fault("bytes delivered one at a time for 3 s");
        network.drip(true);
        this.later(3000, () => network.drip(false));
      } else if (kind === "power-cut") {
        const boot = this.boots.get(id);
        const entry = this.find(id);
        if (boot === undefined || boot.flash === null || entry === undefined) {
          this.event(id, "fault", { fault: kind, ...by }, "FAULT refused: power-cut needs a board with a store (boards/*.json \"store\")");
          continue;
        }
        const flash = boot.flash;
        const at = armPowerCut(flash, network, () => entry.device, () => {
          const next = bootBoard({ ...boot.options, network, flash, start: false });
          entry.device = next.device;
          countPublishes(next.device.client, entry.published);
          this.event(id, "rebooted", { loaded: next.device.client.queuedCount() }, `rebooted after the power cut: ${next.device.client.queuedCount()} messages loaded back from flash`);
          next.device.start();
        });
        fault(`power cut armed: the power goes after ${at} more bytes of flash writes, then the board reboots`);
      } else if (kind === "wifi-down") {
        const ms = options.wifiDownMs;
        fault(ms === undefined ? "Wi-Fi lost (and the link with it) until Wi-Fi up" : `Wi-Fi lost for ${ms / 1000} s (and the link with it)`);
        network.wifiDown();
        network.drop();
        if (ms !== undefined) this.later(ms, () => network.wifiUp());
      } else {
        fault("Wi-Fi back");
        network.wifiUp();
      }
    }
    return undefined;
  }

  /** --faults: every 7 s, the next of drop, stall, drip, Wi-Fi down for 4 s, broker restart (embedded only), power cut (boards with a store), device after device. */
  startAutoFaults(): void {
    let k = 0;
    const stored = [...this.boots.values()].some((b) => b.flash !== null); // boards with a store: power cuts too
    const kinds: FaultKind[] = ["drop", "stall", "drip", "wifi-down", ...(this.config.embedded ? ["broker-restart" as const] : []), ...(stored ? ["power-cut" as const] : [])];
    this.autoFaults = setInterval(() => {
      const target = this.devices[k % this.devices.length];
      this.fault(target.id, kinds[k++ % kinds.length], { wifiDownMs: 4000 });
    }, 7000);
  }

  /**
   * Sends command `name` to a device: the subscriber publishes `payload` on devices/<id>/cmd/<name> at
   * QoS 1 (the device answers on devices/<id>/cmd-result). Returns the words of a refusal, else undefined.
   */
  command(target: string, name: string, payload: string): string | undefined {
    if (this.find(target) === undefined) return `unknown device ${JSON.stringify(target)}: one of ${this.devices.map((d) => d.id).join(", ")}`;
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(name)) return `command name: 1 to 32 letters, digits, - or _, not ${JSON.stringify(name)}`;
    const id = this.subscriberClient.publish(`devices/${target}/cmd/${name}`, payload, 1, false);
    return id < 0 ? `the subscriber could not publish the command: ${errorMessage(id)}` : undefined;
  }

  /** The totals: the devices' clients' own counts, and what the subscriber received. */
  summary(): Summary {
    const totals = { queued: 0, sent: 0, acked: 0, dropped: 0, resent: 0, connects: 0 };
    const publishedBy = new Tally();
    for (const { device, published } of this.devices) {
      const s = device.client.stats;
      totals.queued += s.queued;
      totals.sent += s.sent;
      totals.acked += s.acked;
      totals.dropped += s.dropped;
      totals.resent += s.resent;
      totals.connects += s.connects;
      publishedBy.addAll(published);
    }
    return {
      devices: this.devices.length,
      connects: totals.connects,
      published: totals.queued,
      publishedBy,
      sent: totals.sent,
      acked: totals.acked,
      resent: totals.resent,
      dropped: totals.dropped,
      received: this.subscriberClient.stats.received,
      receivedBy: this.received,
    };
  }

  /** Stops the faults and the boards (each says offline and disconnects), lets the last messages through, stops the subscriber. */
  async stop(): Promise<void> {
    if (this.autoFaults) clearInterval(this.autoFaults);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const { device } of this.devices) device.stop();
    await new Promise((r) => setTimeout(r, 300)); // let DISCONNECTs, the last acks and the last messages through
    this.subscriber.stop();
  }
}
