/**
 * The fleet's measuring subscriber: our own client on the coordinator's thread, subscribed at QoS 0 to
 * devices/+/telemetry/#. Each telemetry payload starts with the sample's "ts", the board's wall clock in ms
 * when it was read (firmware/telemetry/task.ts; bootBoard gives the boards Date.now(), the clock this thread
 * reads too): arrival minus ts is the end-to-end latency, from the sample through the device's client, its
 * socket and the broker to here. Messages of devices outside this shard (another process's) are counted
 * apart and not measured: their clock may be another machine's.
 */
import { MqttClient, type MessageView } from "../../firmware/mqtt/index.js";
import { MqttConnection, type BrokerAddress } from "../../firmware/net/connection.js";
import { SimNetwork } from "../network.js";
import { simulatedDevice } from "../simulated-device.js";
import { Histogram } from "./histogram.js";
import { inShard, type Shard } from "./plan.js";

export const TELEMETRY = "devices/+/telemetry/#";

const TS = [0x7b, 0x22, 0x74, 0x73, 0x22, 0x3a]; // {"ts":
const SLASH = 0x2f;
const DASH = 0x2d;

/** The "ts" a telemetry payload starts with, or -1. */
export function payloadTs(message: MessageView): number {
  const length = message.payloadLength;
  if (length < TS.length + 1) return -1;
  for (let i = 0; i < TS.length; i++) if (message.payloadByte(i) !== TS[i]) return -1;
  let ts = 0;
  let i = TS.length;
  for (; i < length; i++) {
    const digit = message.payloadByte(i) - 0x30;
    if (digit < 0 || digit > 9) break;
    ts = ts * 10 + digit;
  }
  return i > TS.length ? ts : -1;
}

/** The fleet number of devices/<board>-<hex>/..., or -1. */
export function topicNumber(message: MessageView): number {
  const buffer = message.topicBuffer;
  const start = message.topicOffset + 8; // "devices/"
  const end = message.topicOffset + message.topicLength;
  let dash = -1;
  let i = start;
  for (; i < end && buffer[i] !== SLASH; i++) if (buffer[i] === DASH) dash = i;
  if (dash < 0) return -1;
  let value = 0;
  for (let j = dash + 1; j < i; j++) {
    const c = buffer[j];
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value - 0xa1b2c3; // plan.ts's FIRST_ID
}

export class FleetSubscriber {
  /** Telemetry of this shard's devices, with a "ts"; of other shards; without a "ts". */
  received = 0;
  others = 0;
  noTs = 0;
  /** Sample-to-arrival latency of this shard's telemetry, ms, cumulative. */
  readonly latency = new Histogram();
  /** This shard's devices heard from at least once (by fleet number). */
  heard = 0;
  connected = false;
  private readonly seen: Uint8Array;
  private readonly connection: MqttConnection;

  constructor(broker: BrokerAddress, options: { total: number; shard: Shard; protocolVersion: 4 | 5; username?: string; password?: string }) {
    const { total, shard } = options;
    this.seen = new Uint8Array(total);
    const client = new MqttClient({
      clientId: `mqtt-xs-fleet-sub-${process.pid}-${shard.index}`,
      protocolVersion: options.protocolVersion,
      username: options.username,
      password: options.password,
      receiveBufferSize: 4096,
      onConnected: () => (this.connected = true),
      onDisconnected: () => (this.connected = false),
      onMessage: (message) => {
        const arrival = Date.now();
        const k = topicNumber(message);
        if (k < 0 || k >= total || !inShard(k, shard)) {
          this.others++;
          return;
        }
        const ts = payloadTs(message);
        if (ts < 0) {
          this.noTs++;
          return;
        }
        this.received++;
        this.latency.add(arrival - ts);
        if (this.seen[k] === 0) {
          this.seen[k] = 1;
          this.heard++;
        }
      },
    });
    client.subscribe([{ topic: TELEMETRY, qos: 0 }]);
    // A socket buffer of 64 KiB each way: the subscriber is the host's, not a board's (a board has 1,536 bytes).
    this.connection = new MqttConnection(client, broker, simulatedDevice(new SimNetwork({ name: "fleet-subscriber", socketBuffer: 65536 })));
  }

  start(): void {
    this.connection.start();
  }

  stop(): void {
    this.connection.stop();
  }
}
