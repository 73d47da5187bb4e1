/**
 * The model's subscriptions: what subscribe() and unsubscribe() take (every request checked first, nothing
 * changed if one is wrong), which SUBSCRIBE/UNSUBSCRIBE may go and what they may carry, how SUBACK and
 * UNSUBACK are matched to their request by packet id, where a message goes, and what a lost connection or
 * session does. This module runs on XS.
 */
import type { Context } from "./messages.js";
import { C, subscribeSize, topicMatches, validFilter, type SubscribeCall } from "./rules.js";

const enum S {
  Free,
  ToSend,
  Pending,
  Active,
  ToRemove,
  Removing,
}

interface Entry {
  topic: string;
  qos: number;
  handler: boolean;
  state: S;
  req: number;
  /** Changed by the app while a SUBSCRIBE/UNSUBSCRIBE was being written: whatever it carried, this goes again. */
  dirty: boolean;
}

export interface Request {
  id: number;
  subscribe: boolean;
  topics: string[];
  slots: number[];
}

export class Subscriptions {
  private readonly entries: Entry[] = [];
  requests: Request[] = [];
  /** A SUBSCRIBE or UNSUBSCRIBE has begun to go out (the client chose what it carries). */
  private writing = false;
  /** One was being written when end() came: it is finished. */
  private begunBeforeEnd = false;

  constructor(private readonly c: Context) {
    for (let i = 0; i < c.o.subscriptions; i++) this.entries.push({ topic: "", qos: 0, handler: false, state: S.Free, req: 0, dirty: false });
  }

  /** subscribe(): the ClientError code the client must throw with, or 0. */
  subscribe(requests: unknown): number {
    if (!Array.isArray(requests) || requests.length === 0) return C.InvalidArgument;
    const topics: string[] = [];
    const qos: number[] = [];
    const handlers: boolean[] = [];
    for (const r of requests as SubscribeCall[]) {
      if (typeof r !== "object" || r === null || typeof r.topic !== "string") return C.InvalidTopic;
      const q = r.qos === undefined ? 0 : r.qos;
      if (q !== 0 && q !== 1 && q !== 2) return C.InvalidQoS;
      if (r.handler !== undefined && typeof r.handler !== "function") return C.InvalidArgument;
      if (!validFilter(r.topic)) return C.InvalidTopic;
      // [MQTT-3.8.3-1] one filter must fit one SUBSCRIBE in the control buffer, or it could never go.
      if (subscribeSize(r.topic, this.c.o.protocolVersion === 5) > this.c.o.controlBufferSize) return C.SubscriptionTooLarge;
      topics.push(r.topic);
      qos.push(q);
      handlers.push(typeof r.handler === "function");
    }
    let fresh = 0;
    const seen: string[] = [];
    for (const t of topics) {
      if (seen.indexOf(t) >= 0 || this.find(t) >= 0) continue;
      seen.push(t);
      fresh++;
    }
    let free = 0;
    for (const e of this.entries) if (e.state === S.Free) free++;
    if (free < fresh) return C.SubscriptionsFull;
    for (let k = 0; k < topics.length; k++) {
      let i = this.find(topics[k]);
      if (i < 0) i = this.entries.findIndex((e) => e.state === S.Free);
      const e = this.entries[i];
      e.topic = topics[k];
      e.qos = qos[k];
      e.handler = handlers[k];
      e.state = S.ToSend;
      e.dirty = this.writing;
    }
    return 0;
  }

  /** unsubscribe(): the code the client must throw with, or 0. `brokerMayHold`: connected, or a persistent session. */
  unsubscribe(topics: unknown, brokerMayHold: boolean): number {
    if (!Array.isArray(topics)) return C.InvalidArgument;
    for (const t of topics) if (typeof t !== "string") return C.InvalidTopic;
    for (const t of topics as string[]) {
      const i = this.find(t);
      if (i < 0) continue;
      const e = this.entries[i];
      e.handler = false;
      e.state = brokerMayHold ? S.ToRemove : S.Free;
      e.dirty = this.writing;
    }
    return 0;
  }

  private find(topic: string): number {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].state !== S.Free && this.entries[i].topic === topic) return i;
    return -1;
  }

  ids(): number[] {
    return this.requests.map((r) => r.id);
  }

  begins(): void {
    this.writing = true;
  }

  ending(): void {
    this.begunBeforeEnd = this.writing;
  }

  /** A SUBSCRIBE (or UNSUBSCRIBE) written: it carries filters waiting to go, with a free id. */
  wire(subscribing: boolean, id: number, topics: string[], qos: number[], ending: boolean, inUse: number[]): void {
    const name = subscribing ? "SUBSCRIBE" : "UNSUBSCRIBE";
    if (ending && !this.begunBeforeEnd) return this.c.fail(`${name} after end()`);
    if (inUse.indexOf(id) >= 0) return this.c.fail(`${name} with id ${id} in use [MQTT-2.3.1-2]`);
    if (this.requests.length >= this.c.o.maxRequests) return this.c.fail("more SUBSCRIBE/UNSUBSCRIBE outstanding than the client holds");
    const slots: number[] = [];
    for (let k = 0; k < topics.length; k++) {
      const i = this.find(topics[k]);
      const e = i >= 0 ? this.entries[i] : null;
      if (i >= 0 && slots.indexOf(i) >= 0) return this.c.fail(`${name} carries ${topics[k]} twice`);
      if (subscribing) {
        if (!e || (!e.dirty && (e.state !== S.ToSend || e.qos !== qos[k]))) return this.c.fail(`SUBSCRIBE carries ${topics[k]} q${qos[k]}, not a subscription waiting to go`);
        // A filter the app changed while this was written may also have been forgotten (Free) meanwhile.
      } else if ((!e && !this.entries.some((x) => x.dirty)) || (e && !e.dirty && e.state !== S.ToRemove)) {
        return this.c.fail(`UNSUBSCRIBE carries ${topics[k]}, not one waiting to be removed`);
      }
      slots.push(i);
    }
    for (const i of slots) {
      if (i < 0) continue;
      const e = this.entries[i];
      if (!e.dirty) e.state = subscribing ? S.Pending : S.Removing;
      e.req = id;
    }
    this.written();
    this.requests.push({ id, subscribe: subscribing, topics, slots });
  }

  private written(): void {
    this.writing = false;
    for (const e of this.entries) e.dirty = false;
  }

  /** SUBACK or UNSUBACK: false if it is a protocol error (not our request [MQTT-3.9.2-1], a code per filter [MQTT-3.9.3-1]). */
  ack(f: { kind: "suback" | "unsuback"; id: number; codes?: number[] }): boolean {
    const k = this.requests.findIndex((r) => r.id === f.id && r.subscribe === (f.kind === "suback"));
    if (k < 0) return false;
    const r = this.requests[k];
    const codes = f.codes ?? [];
    if (f.kind === "suback" && codes.length !== r.topics.length) return false;
    this.requests.splice(k, 1);
    for (let j = 0; j < r.topics.length; j++) {
      const e = this.entries[r.slots[j]];
      const current = e !== undefined && e.state !== S.Free && e.topic === r.topics[j] && e.req === r.id;
      if (f.kind === "suback") {
        this.c.events.push(`subscribed ${r.topics[j]} 0x${codes[j].toString(16)}`);
        if (current && e.state === S.Pending) e.state = S.Active;
      } else if (current && e.state === S.Removing) {
        e.state = S.Free;
        e.handler = false;
      }
    }
    return true;
  }

  /** Where a message goes: "h:<filter>" of the first matching subscription with a handler, else "app". */
  dispatch(topic: string): string {
    for (const e of this.entries) {
      if (!e.handler || e.state === S.Free || e.state === S.ToRemove || e.state === S.Removing) continue;
      if (topicMatches(e.topic, topic)) return "h:" + e.topic;
    }
    return "app";
  }

  /** The connection is gone: no ack comes for its requests; what they carried goes again. */
  connectionLost(): void {
    for (const e of this.entries) {
      if (e.state === S.Pending) e.state = S.ToSend;
      else if (e.state === S.Removing) e.state = S.ToRemove;
    }
    this.requests = [];
    this.written();
  }

  /** The broker has no session: every subscription goes again; removals are done. */
  sessionLost(): void {
    for (const e of this.entries) {
      if (e.state === S.Pending || e.state === S.Active) e.state = S.ToSend;
      else if (e.state === S.ToRemove || e.state === S.Removing) {
        e.state = S.Free;
        e.handler = false;
      }
    }
  }

  /** What a drained transport must have sent: every request that may go. */
  quiescent(): void {
    if (this.requests.length >= this.c.o.maxRequests) return;
    for (const e of this.entries) {
      if (e.state === S.ToSend) return this.c.fail(`subscription ${e.topic} not sent`);
      if (e.state === S.ToRemove) return this.c.fail(`unsubscription ${e.topic} not sent`);
    }
  }
}
