// A client with a flash store on a simulated NOR flash, driven by hand as a transport would: the broker's
// packets are fed as bytes, what the client sends is taken and split into packets.
import { MqttClient } from "../../firmware/mqtt/index.js";
import type { ClientOptions } from "../../firmware/mqtt/client/options.js";
import { NONE, RecordState, type Outbox } from "../../firmware/mqtt/client/outbox.js";
import { OutboxStore, type StoreOptions } from "../../firmware/mqtt/store/index.js";
import { sdkFlashArea } from "../../firmware/store-flash.js";
import { SimFlash } from "../../host-sim/device/flash.js";

export const SMALL = { size: 256 * 8, blockSize: 256 } as const;

export function flash(options: { size: number; blockSize: number } = SMALL): SimFlash {
  return new SimFlash({ ...options, random: () => 0.5 });
}

export interface Rig {
  client: MqttClient;
  store: OutboxStore;
  now: number;
  /** Packets the client sent, whole, each as its bytes. */
  sent: Uint8Array[];
}

export function rig(sim: SimFlash, options: Partial<ClientOptions> = {}, store: Partial<StoreOptions> = {}): Rig {
  const s = new OutboxStore({ flash: sdkFlashArea(sim), ...store });
  const client = new MqttClient({ clientId: "store-test", clean: false, keepalive: 0, random: () => 0.5, transmitBufferSize: 512, queueSlots: 8, inflight: 4, ...options, store: s });
  return { client, store: s, now: 1000, sent: [] };
}

/** Takes everything the client has to send into r.sent. */
export function drain(r: Rig): void {
  let pending = new Uint8Array(0);
  for (let n = r.client.outputLength(); n > 0; n = r.client.outputLength()) {
    const buf = r.client.outputBuffer();
    const off = r.client.outputOffset();
    const joined = new Uint8Array(pending.length + n);
    joined.set(pending);
    joined.set(buf.subarray(off, off + n), pending.length);
    pending = joined;
    r.client.written(n, r.now);
  }
  let at = 0;
  while (at < pending.length) {
    let length = 0;
    let shift = 0;
    let k = at + 1;
    for (;;) {
      const b = pending[k++];
      length |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    r.sent.push(pending.slice(at, k + length));
    at = k + length;
  }
}

/** Connects: CONNECT out, CONNACK in (sessionPresent as given). */
export function connect(r: Rig, sessionPresent: boolean): void {
  r.client.start(r.now);
  r.client.shouldOpen(r.now);
  r.client.opened(r.now);
  drain(r);
  r.client.receive(Uint8Array.of(0x20, 2, sessionPresent ? 1 : 0, 0), 0, 4, r.now);
  drain(r);
}

export function ack(r: Rig, first: number, id: number): void {
  r.client.receive(Uint8Array.of(first, 2, id >> 8, id & 0xff), 0, 4, r.now);
  drain(r);
}

export const PUBACK = 0x40;
export const PUBREC = 0x50;
export const PUBCOMP = 0x70;

/** The client's outbox (internal), to check what a restart loaded. */
export function outboxOf(client: MqttClient): Outbox {
  return (client as unknown as { outbox: Outbox }).outbox;
}

/** Each live record: its payload as text, QoS, state and packet id, oldest first. */
export function records(client: MqttClient): { payload: string; qos: number; state: number; id: number }[] {
  const outbox = outboxOf(client);
  const list = [];
  for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
    const b = outbox.bytes.subarray(outbox.offset[i], outbox.offset[i] + outbox.length[i]);
    let k = 1;
    while ((b[k] & 0x80) !== 0) k++;
    k++;
    const topicLength = (b[k] << 8) | b[k + 1];
    const start = k + 2 + topicLength + (outbox.qos[i] > 0 ? 2 : 0);
    list.push({ payload: new TextDecoder().decode(b.subarray(start)), qos: outbox.qos[i], state: outbox.state[i], id: outbox.packetId[i] });
  }
  return list;
}

/** PUBLISH packets in r.sent: payload, DUP, id. */
export function publishes(r: Rig): { payload: string; dup: boolean; id: number }[] {
  return r.sent
    .filter((p) => p[0] >> 4 === 3)
    .map((p) => {
      let k = 1;
      while ((p[k] & 0x80) !== 0) k++;
      k++;
      const topicLength = (p[k] << 8) | p[k + 1];
      const qos = (p[0] >> 1) & 3;
      const idAt = k + 2 + topicLength;
      return { payload: new TextDecoder().decode(p.subarray(idAt + (qos > 0 ? 2 : 0))), dup: (p[0] & 8) !== 0, id: qos > 0 ? (p[idAt] << 8) | p[idAt + 1] : 0 };
    });
}

export const { Queued, Sent, Released } = RecordState;
