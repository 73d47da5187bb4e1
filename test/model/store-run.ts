/**
 * The flash store's promises over random runs: the real client with a store on a NOR flash in RAM, driven
 * by random steps (publish QoS 1/2, the link carrying the client's packets to a broker and the broker's
 * answers back, link drops, reconnects, reboots, a power cut at a random byte of a random flash write, a
 * write the flash refuses with the power on), against a small broker of our own that keeps the session
 * (clean: false, Method B of §4.3.3: a QoS 2 message is delivered when its PUBLISH first comes and its
 * packet id held until PUBREL). At the end the power stays on, the device boots once more and the link
 * carries everything until nothing is left. The promises, to whatever the steps did:
 *  - every message whose publish() returned a packet id with the power on is delivered at least once
 *    (QoS 1) or exactly once (QoS 2), unless the app was told it was dropped or replaced (the client's
 *    onError; or the store's NotLoaded at a start, after a refused End record left an ended message);
 *  - every PUBLISH of a message carries the id publish() returned [MQTT-4.4.0-1];
 *  - no PUBLISH of a QoS 2 message comes after the broker got its PUBREL (PUBREL, not PUBLISH, after
 *    its PUBREC [MQTT-4.3.3-1]); the broker holds no QoS 2 id at the end (every PUBREL came);
 *  - a message publish() refused is never delivered; one whose publish() the power cut is delivered at
 *    most once if QoS 2; the last boot finds the outbox empty;
 *  - on a connection, no more QoS 1/2 messages are in flight at the broker (PUBLISH, or PUBREL of an id it
 *    holds, sent; PUBACK or PUBCOMP not yet back) than the in-flight window: a broker drops what comes past
 *    its own limit (mosquitto's max_inflight_messages), with a PUBACK a 3.1.1 client cannot tell from success.
 * This module runs on XS: no Node APIs.
 */
import { ClientError } from "../../firmware/mqtt/client/errors.js";
import { MqttClient } from "../../firmware/mqtt/index.js";
import { OutboxStore, StoreError, type FlashArea } from "../../firmware/mqtt/store/index.js";
import { Rng } from "./rng.js";

/**
 * The power went: thrown by the flash's write, ending the device's call chain as the CPU would. The
 * store catches what a flash throws (a device's flash says "write failed" that way), so the flash is also
 * dead from then on (it takes no write or erase, as SimFlash), and the run reboots after the step.
 */
export class PowerCut extends Error {}

/** A NOR flash in RAM: erase sets 0xFF, a write only clears bits (one that would set a bit is a store bug). */
export class NorFlash implements FlashArea {
  readonly bytes: Uint8Array;
  writes = 0;
  /** The power went: nothing more is written or erased. */
  dead = false;
  private budget = Infinity;
  private refuse = false;

  constructor(
    readonly size: number,
    readonly sectorSize: number,
    private readonly rng: Rng,
  ) {
    this.bytes = new Uint8Array(size).fill(0xff);
  }

  /** The power goes after `bytes` more bytes are programmed (the byte it stops in half-programmed). */
  cutAfter(bytes: number): void {
    this.budget = bytes;
  }

  /** The next write throws Error("write failed"), having programmed none or all of its bytes. */
  refuseNext(): void {
    this.refuse = true;
  }

  /** Power on, faults disarmed. */
  reset(): void {
    this.budget = Infinity;
    this.refuse = false;
    this.dead = false;
  }

  read(offset: number, into: Uint8Array, at: number, length: number): void {
    into.set(this.bytes.subarray(offset, offset + length), at);
  }

  write(offset: number, from: Uint8Array, at: number, length: number): void {
    if (this.dead) return;
    const bytes = this.bytes;
    for (let k = 0; k < length; k++) if ((from[at + k] & ~bytes[offset + k] & 0xff) !== 0) throw new Error(`NOR: a write would set bits at ${offset + k}`);
    this.writes++;
    if (this.refuse) {
      this.refuse = false;
      if (this.rng.chance(0.5)) for (let k = 0; k < length; k++) bytes[offset + k] &= from[at + k];
      throw new Error("write failed");
    }
    const whole = Math.min(length, this.budget);
    for (let k = 0; k < whole; k++) bytes[offset + k] &= from[at + k];
    if (whole === length) {
      this.budget -= length;
      return;
    }
    bytes[offset + whole] &= from[at + whole] | this.rng.int(256);
    this.budget = Infinity;
    this.dead = true;
    throw new PowerCut("power cut");
  }

  erase(sector: number): void {
    if (this.dead) return;
    if (this.budget === 0) {
      this.dead = true; // the cut falls in the erase: none of it done
      throw new PowerCut("power cut");
    }
    this.bytes.fill(0xff, sector * this.sectorSize, (sector + 1) * this.sectorSize);
  }
}

/** What a message did: at most one of committed (an id returned), refused, uncertain (the power cut its publish()). */
interface Message {
  qos: number;
  id: number;
  committed: boolean;
  uncertain: boolean;
  delivered: number;
  /** The broker got its PUBREL. */
  releasedAtBroker: boolean;
}

export interface StoreRunResult {
  violation: string | null;
  steps: number;
  /** What the run did, for the tally. */
  counts: Record<string, number>;
}

const TOPICS = ["t/a", "t/b", "t/c"];
const INFLIGHT = 4;
const text = (b: Uint8Array, from: number, to: number): string => {
  let s = "";
  for (let k = from; k < to; k++) s += String.fromCharCode(b[k]);
  return s;
};

/** One random run of `maxSteps` steps from `seed` (`trace`: a line per step and per packet, to replay one). */
export function storeRun(seed: number, maxSteps: number, trace?: (line: string) => void): StoreRunResult {
  const rng = new Rng(seed);
  const counts: Record<string, number> = {};
  const count = (what: string) => (counts[what] = (counts[what] ?? 0) + 1);
  const flash = new NorFlash(256 * 8, 256, rng);
  const latestPerTopic = rng.chance(0.3);
  const queuePolicy = rng.pick(["reject", "drop-oldest"] as const);
  const messages = new Map<string, Message>();
  /** The broker: QoS 2 ids held until PUBREL (and whose message), its answers on their way, whether it has our session. */
  const held = new Map<number, string>();
  let answers: Uint8Array[] = [];
  /** This connection's messages in flight: packet ids of PUBLISH or PUBREL whose PUBACK or PUBCOMP has not reached the client. */
  const flying = new Set<number>();
  let session = false;
  let violation: string | null = null;
  let reported = 0;
  let next = 0;
  let now = 1000;
  let client!: MqttClient;
  let up = false;

  const boot = () => {
    flash.reset();
    const store = new OutboxStore({
      flash, latestPerTopic,
      onError: (code) => {
        trace?.(`  store error ${code}`);
        // A message left on flash by an End record the flash refused comes back at the next start and may
        // take the room of a newer one, which the store then drops, saying so.
        if (code === StoreError.NotLoaded) reported++;
      },
    });
    client = new MqttClient({
      clientId: "store-model", clean: false, keepalive: 0, ackTimeout: 0, random: () => 0.5,
      transmitBufferSize: 512, queueSlots: 8, inflight: INFLIGHT, queuePolicy, store,
      onError: (code) => {
        if (code === ClientError.OldestDropped || code === ClientError.MessageReplaced) reported++;
      },
    });
    client.start(now);
    up = false;
    answers = [];
    flying.clear();
  };

  /** The broker takes one packet from the client. */
  const brokerGets = (p: Uint8Array) => {
    const type = p[0] >> 4;
    trace?.(`  broker gets ${[...p.subarray(0, Math.min(p.length, 8))].map((b) => b.toString(16)).join(" ")}${type === 3 ? " " + text(p, p.length - 4, p.length) : ""}`);
    let k = 1;
    while ((p[k] & 0x80) !== 0) k++;
    k++;
    if (type === 1) {
      answers.push(Uint8Array.of(0x20, 2, session ? 1 : 0, 0));
      session = true;
    } else if (type === 3) {
      const qos = (p[0] >> 1) & 3;
      const topicLength = (p[k] << 8) | p[k + 1];
      const idAt = k + 2 + topicLength;
      const id = (p[idAt] << 8) | p[idAt + 1];
      const name = text(p, idAt + 2, p.length);
      const m = messages.get(name);
      if (m === undefined) return (violation ??= `the broker got ${name}, which no publish() made`);
      if (qos !== m.qos) return (violation ??= `${name} came at QoS ${qos}, published at ${m.qos}`);
      if (m.committed && id !== m.id) return (violation ??= `${name} came with id ${id}, publish() returned ${m.id} [MQTT-4.4.0-1]`);
      if (!m.committed && !m.uncertain) return (violation ??= `${name} was refused by publish() (${m.id}) and came to the broker`);
      if (m.uncertain && m.id === 0) m.id = id;
      if (m.uncertain && id !== m.id) return (violation ??= `${name} (its publish() cut) came with ids ${m.id} and ${id}`);
      flying.add(id);
      if (flying.size > INFLIGHT) return (violation ??= `${flying.size} messages in flight on one connection, past the window of ${INFLIGHT}`);
      if (qos === 1) {
        m.delivered++;
        answers.push(Uint8Array.of(0x40, 2, id >> 8, id & 0xff));
        return;
      }
      if (m.releasedAtBroker) return (violation ??= `${name}: its PUBLISH came again after its PUBREL [MQTT-4.3.3-1]`);
      const holder = held.get(id);
      if (holder === undefined) {
        held.set(id, name);
        m.delivered++;
      } else if (holder !== name) return (violation ??= `${name} came with id ${id}, which ${holder} holds until its PUBREL [MQTT-2.3.1-2]`);
      answers.push(Uint8Array.of(0x50, 2, id >> 8, id & 0xff));
    } else if (type === 6) {
      const id = (p[k] << 8) | p[k + 1];
      // A PUBREL for an id the broker no longer holds (its PUBCOMP came, the End record did not reach the
      // flash) takes nothing of the broker's: only one it holds counts.
      if (held.has(id)) flying.add(id);
      if (flying.size > INFLIGHT) return (violation ??= `${flying.size} messages in flight on one connection, past the window of ${INFLIGHT}`);
      const name = held.get(id);
      if (name !== undefined) {
        held.delete(id);
        messages.get(name)!.releasedAtBroker = true;
      }
      answers.push(Uint8Array.of(0x70, 2, id >> 8, id & 0xff));
    }
  };

  /** The link carries what the client has written to the broker (all of it, or lost on the way). */
  const carry = (lose: boolean) => {
    let bytes = new Uint8Array(0);
    for (let n = client.outputLength(); n > 0; n = client.outputLength()) {
      const off = client.outputOffset();
      const joined = new Uint8Array(bytes.length + n);
      joined.set(bytes);
      joined.set(client.outputBuffer().subarray(off, off + n), bytes.length);
      bytes = joined;
      client.written(n, now);
    }
    if (lose || !up) return;
    for (let at = 0; at < bytes.length; ) {
      let length = 0;
      let shift = 0;
      let k = at + 1;
      for (;;) {
        const b = bytes[k++];
        length |= (b & 0x7f) << shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
      }
      brokerGets(bytes.subarray(at, k + length));
      at = k + length;
    }
  };

  /** The broker's first `n` answers reach the client. */
  const answer = (n: number) => {
    for (let k = 0; k < n && answers.length > 0 && up && !flash.dead; k++) {
      const a = answers.shift()!;
      if (a[0] === 0x40 || a[0] === 0x70) flying.delete((a[2] << 8) | a[3]);
      trace?.(`  client gets ${[...a].map((b) => b.toString(16)).join(" ")}`);
      client.receive(a, 0, a.length, now);
    }
  };

  const connect = () => {
    for (let tries = 0; tries < 100 && !client.shouldOpen(now); tries++) {
      now += 5000;
      client.poll(now);
    }
    client.opened(now);
    up = true;
    carry(false);
    answer(1); // the CONNACK
  };

  const drop = (lose: boolean) => {
    if (lose) carry(true); // written to the socket, never arrived
    answers = [];
    flying.clear();
    client.closed(now);
    up = false;
  };

  /** One step; a power cut reboots the device (the message whose publish() it cut is uncertain). */
  const step = (kind: number) => {
    trace?.(`step ${["publish", "carry", "answer", "drop", "connect", "reboot", "cut", "refuse"][kind]} (up ${up})`);
    let publishing: Message | null = null;
    try {
      if (kind === 0) {
        const qos = rng.chance(0.5) ? 1 : 2;
        const name = "m" + next++;
        const m: Message = { qos, id: 0, committed: false, uncertain: false, delivered: 0, releasedAtBroker: false };
        messages.set(name, m);
        publishing = m;
        const id = client.publish(rng.pick(TOPICS), name, qos);
        trace?.(`  publish ${name} QoS ${qos}: ${id}`);
        if (id > 0) {
          m.committed = true;
          m.id = id;
          count("committed");
        } else {
          m.id = id;
          count(id === ClientError.StoreFailed ? "refused: store" : "refused: " + id);
        }
      } else if (kind === 1) {
        if (up) carry(false);
      } else if (kind === 2) {
        answer(rng.range(1, 4));
      } else if (kind === 3) {
        if (up) {
          drop(rng.chance(0.5));
          count("drop");
        }
      } else if (kind === 4) {
        if (!up) {
          connect();
          count("connect");
        }
      } else if (kind === 5) {
        boot();
        count("reboot");
      } else if (kind === 6) {
        flash.cutAfter(rng.int(400));
      } else if (kind === 7) {
        flash.refuseNext();
        count("refused write armed");
      }
    } catch (error) {
      if (!(error instanceof PowerCut)) throw error;
    }
    if (flash.dead) {
      count("power cut");
      trace?.("  POWER CUT");
      if (publishing !== null) {
        // The power went during its publish(): it never returned; its record may be on flash, with the id it got.
        publishing.uncertain = true;
        publishing.committed = false;
        if (publishing.id < 0) publishing.id = 0;
      }
      boot();
    }
  };

  /** For a trace: the outbox's records (name, id, state). */
  const outboxLine = (): string => {
    const o = (client as unknown as { outbox: { first: number; next: Int32Array; bytes: Uint8Array; offset: Int32Array; length: Int32Array; packetId: Uint16Array; state: Uint8Array } }).outbox;
    const items: string[] = [];
    for (let i = o.first; i !== -1; i = o.next[i]) {
      const end = o.offset[i] + o.length[i];
      let k = end - 1;
      while (k > o.offset[i] && o.bytes[k] !== 0x6d) k--;
      items.push(`${text(o.bytes, k, end)}#${o.packetId[i]}:${"FQSTR"[o.state[i]]}`);
    }
    return items.join(" ");
  };

  boot();
  let steps = 0;
  try {
    for (; steps < maxSteps && violation === null; steps++) {
      step(rng.weighted([5, 4, 4, 1, 2, 0.4, 0.6, 0.3]));
      if (trace !== undefined) trace(`    outbox: ${outboxLine()}`);
    }
    // The end: the power stays on; the device boots once more and the link carries everything.
    flash.reset();
    boot();
    for (let round = 0; round < 300 && violation === null; round++) {
      if (!up) connect();
      carry(false);
      answer(answers.length);
      if (client.queuedCount() === 0 && client.outputLength() === 0 && answers.length === 0) break;
    }
  } catch (error) {
    violation ??= "threw " + (error instanceof Error ? error.message : String(error));
  }
  if (violation === null && client.queuedCount() !== 0) violation = `the outbox did not empty (${client.queuedCount()} left)`;
  if (violation === null && held.size > 0) violation = `the broker still holds ${held.size} QoS 2 id(s) (${[...held].map(([id, name]) => name + " " + id).join(", ")}): a PUBREL never came`;
  if (violation === null) {
    let undelivered = 0;
    let first = "";
    for (const [name, m] of messages) {
      if (m.uncertain) {
        if (m.qos === 2 && m.delivered > 1) violation ??= `${name} (QoS 2, its publish() cut) delivered ${m.delivered} times`;
        continue;
      }
      if (!m.committed) continue;
      if (m.qos === 2 && m.delivered > 1) violation ??= `${name} (QoS 2) delivered ${m.delivered} times`;
      if (m.delivered === 0 && undelivered++ === 0) first = name;
    }
    if (undelivered > reported) violation ??= `${undelivered} committed message(s) never delivered (${first} first), ${reported} reported dropped or replaced`;
  }
  if (violation === null) {
    boot();
    if (client.queuedCount() !== 0) violation = `the last boot found ${client.queuedCount()} message(s) on flash`;
  }
  return { violation, steps, counts };
}

/** Runs `runs` random runs from `seed`; the first violation with its seed, and the steps and counts of all. */
export function storeRuns(seed: number, runs: number, maxSteps: number): { failure: string | null; steps: number; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  let steps = 0;
  for (let i = 0; i < runs; i++) {
    const r = storeRun(seed + i, maxSteps);
    steps += r.steps;
    for (const key in r.counts) counts[key] = (counts[key] ?? 0) + r.counts[key];
    if (r.violation !== null) return { failure: `seed ${seed + i}: ${r.violation}`, steps, counts };
  }
  return { failure: null, steps, counts };
}
