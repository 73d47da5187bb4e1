/**
 * The model check: one random run drives the real client and the reference model (model.ts) with the
 * same inputs (app calls with valid and invalid arguments, broker packets early, late, duplicated, for
 * unknown ids, link drops at any byte, broker restarts with or without the session, time jumps, a
 * transport that stalls) and compares after every step: events, return codes, stats, and every packet
 * the client writes. A run is data (options + steps, steps.ts), so a failing one can be replayed and
 * shrunk. runSteps is one function on purpose: the client, the model and the broker's end share one run's
 * state, step by step. At MQTT 5.0 the broker's end also says what its CONNACK allows, answers with
 * reason codes, may send DISCONNECT, holds back while our Receive Maximum is reached (but when a step
 * breaks it), sets Topic Aliases towards us within our maximum and uses them alone (rarely breaking the
 * rules: alias 0, above our maximum, never set), and its CONNACK's Topic Alias Maximum changes with the
 * other limits; publishes go through one TopicHandle per topic (the ones with `handle`) and some carry a
 * Message Expiry Interval; the client's packets are decoded at 5.0 (wire.ts).
 * This module runs on XS: no Node APIs.
 */
import { Model, validName, wellFormed, type BrokerFrame, type ModelOptions, type SubscribeCall } from "./model.js";
import { THROWING_PAYLOAD } from "./rules.js";
import { Rng } from "./rng.js";
import { BAD_PUBLISH, BAD_SUBSCRIBE, FILTERS, PAYLOADS, TOPICS, utf8Bytes, type Run, type Step } from "./steps.js";
import * as w from "./wire.js";

/** What the harness needs of a client (the facade's public API). */
export interface ClientUnderTest {
  publish(topic: unknown, payload: unknown, qos?: unknown, retain?: unknown, offset?: unknown, length?: unknown, properties?: unknown): number;
  subscribe(requests: unknown): void;
  unsubscribe(topics: unknown): void;
  start(now: number): void;
  end(now: number): void;
  shouldOpen(now: number): boolean;
  opened(now: number): void;
  closed(now: number, reason?: number): void;
  poll(now: number): number;
  outputLength(): number;
  outputBuffer(): Uint8Array;
  outputOffset(): number;
  written(count: number, now: number): void;
  receive(src: Uint8Array, offset: number, length: number, now: number): number;
  readonly wantsClose: boolean;
  readonly stats: unknown;
  queuedCount(): number;
  topic(name: string): unknown;
}

export interface MessageLike {
  qos: number;
  retain: boolean;
  dup: boolean;
  topicString(): string;
  payloadString(): string;
}

export interface Callbacks {
  onConnected: (sessionPresent: boolean) => void;
  onMessage: (m: MessageLike) => void;
  onAcked: (id: number, reasonCode?: number) => void;
  onUnconfirmed: (id: number) => void;
  onSubscribed: (topic: string, code: number) => void;
  onDisconnected: (reason: number) => void;
  onError: (code: number) => void;
}

/** Makes the client under test from the model's options, its callbacks and its random(). */
export type ClientFactory = (options: ModelOptions, callbacks: Callbacks, random: () => number) => ClientUnderTest;

/** Reads the client's stats as the model names them (null: do not compare stats). */
export type StatsReader = (client: ClientUnderTest) => Record<string, number> | null;

/** The client's stats the model predicts, read from its `stats` object by name. */
export const readStats: StatsReader = (client) => {
  const s = (client as unknown as { stats: Record<string, number> }).stats;
  const out: Record<string, number> = {};
  for (const key of STAT_NAMES) out[key] = s[key];
  return out;
};
const STAT_NAMES = ["published", "queued", "refused", "completed", "acked", "dropped", "unconfirmed", "sent", "resent", "received", "oversized", "connects", "rejected", "expired"];

export interface RunResult {
  /** The first violation, or null when every step held. */
  violation: string | null;
  /** Steps run (up to and including the failing one). */
  steps: number;
}

/** The broker's end: what it was sent and holds, enough to answer as a broker would (or would not). */
class Broker {
  /** The client's session survives a connection (clean false) and a restart that keeps it. */
  session = false;
  /** QoS 2 ids the broker sent and got PUBREC for (it owes PUBREL), and ids sent unanswered. */
  readonly pubrecd: number[] = [];
  readonly unanswered: number[] = [];
  /** QoS 2 messages sent (by id: topic index, payload length) and, of them, those PUBRELed without a PUBCOMP back. */
  readonly sent = new Map<number, number[]>();
  readonly released = new Map<number, number[]>();
  nextId = 1;
  pings = 0;
  connectSeen = false;
  /** 5.0: ids of the QoS 1/2 PUBLISH sent on this connection that no PUBACK or PUBCOMP has answered yet (our Receive Maximum's count, §4.9). */
  readonly toClient: number[] = [];
  /** 5.0: the Topic Aliases it set towards us on this connection (alias to topic). */
  readonly aliases = new Map<number, string>();
}

/** Runs one run to its end or its first violation. */
export function runSteps(run: Run, makeClient: ClientFactory, readStats: StatsReader, tally?: Record<string, number>): RunResult {
  const o = run.options;
  const v5 = o.protocolVersion === 5;
  const model = new Model(o);
  const randomRng = new Rng(run.randomSeed);
  const random = () => {
    const r = randomRng.next();
    model.randoms.push(r);
    return r;
  };
  const got: string[] = [];
  const hex = (code: number) => (code < 0 ? String(code) : "0x" + code.toString(16));
  const text = (m: MessageLike) => `${m.topicString()} ${m.payloadString()} q${m.qos}${m.retain ? " retain" : ""}${m.dup ? " dup" : ""}`;
  const callbacks: Callbacks = {
    onConnected: (sp) => got.push("connected " + (sp ? 1 : 0)),
    onMessage: (m) => got.push("message app " + text(m)),
    onAcked: (id, reason) => got.push("acked " + id + (reason ? " " + hex(reason) : "")),
    onUnconfirmed: (id) => got.push("unconfirmed " + id),
    onSubscribed: (topic, code) => got.push(`subscribed ${topic} ${hex(code)}`),
    onDisconnected: (reason) => got.push("disconnected " + hex(reason)),
    onError: (code) => got.push("error " + hex(code)),
  };
  let client: ClientUnderTest;
  try {
    client = makeClient(o, callbacks, random);
  } catch (error) {
    return { violation: "constructor threw: " + String(error), steps: 0 };
  }
  const broker = new Broker();
  let now = 1_000_000;
  let link = false;
  /** Bytes the client wrote on this connection, not yet decoded into whole packets. */
  let out: number[] = [];
  let publishBegun = false;
  /** Broker bytes not yet taken by the client, with the frame each packet ends. */
  let pendingIn: { bytes: number[]; frame: BrokerFrame | null }[] = [];
  const handlers = new Map<string, (m: MessageLike) => void>();
  /** One TopicHandle per topic, as an app keeps them (5.0: its Topic Alias follows the handle). */
  const handles = new Map<string, unknown>();
  const handleFor = (topic: string) => {
    if (!handles.has(topic)) handles.set(topic, client.topic(topic));
    return handles.get(topic);
  };
  const handlerFor = (filter: string) => {
    let h = handlers.get(filter);
    if (!h) {
      h = (m: MessageLike) => {
        got.push(`message h:${filter} ${text(m)}`);
        if (m.payloadString().length === THROWING_PAYLOAD) throw new Error("a handler that throws"); // HandlerThrew
      };
      handlers.set(filter, h);
    }
    return h;
  };

  const decodeOut = () => {
    for (;;) {
      const buf = Uint8Array.from(out);
      const d = w.decodeClientPacket(buf, 0, buf.length, v5 ? 5 : 4);
      if (d.error) return model.violation ?? (model.violation = "the client wrote an invalid packet: " + d.error + " [" + w.hex(buf, 0, Math.min(buf.length, 24)) + "]");
      if (!publishBegun && out.length > 0) {
        publishBegun = true;
        model.begins(out[0] >> 4, now);
      }
      if (d.length === 0) return null;
      out = out.slice(d.length);
      const p = d.packet!;
      publishBegun = false;
      brokerSees(p);
      model.wire(p, now, d.length);
      if (model.violation) return model.violation;
    }
  };

  const brokerSees = (p: w.ClientPacket) => {
    if (p.type === "puback" || p.type === "pubcomp") {
      const k = broker.toClient.indexOf(p.id);
      if (k >= 0) broker.toClient.splice(k, 1);
    }
    if (p.type === "connect") broker.connectSeen = true;
    else if (p.type === "pingreq") broker.pings++;
    else if (p.type === "pubrec") {
      const k = broker.unanswered.indexOf(p.id);
      if (k >= 0) broker.unanswered.splice(k, 1);
      if (broker.pubrecd.indexOf(p.id) < 0) broker.pubrecd.push(p.id);
    } else if (p.type === "puback") {
      const k = broker.unanswered.indexOf(p.id);
      if (k >= 0) broker.unanswered.splice(k, 1);
    } else if (p.type === "pubcomp") {
      const k = broker.pubrecd.indexOf(p.id);
      if (k >= 0) broker.pubrecd.splice(k, 1);
      broker.released.delete(p.id);
    }
  };

  /** Takes up to `max` bytes of output (Infinity: until the client has nothing more). */
  const take = (max: number) => {
    let left = max;
    for (let guard = 0; guard < 10_000 && left > 0 && link; guard++) {
      const length = client.outputLength();
      if (!(length >= 0) || Math.floor(length) !== length) return (model.violation = "outputLength() returned " + length);
      if (length === 0) {
        if (max === Infinity) model.quiescent();
        return model.violation;
      }
      const n = Math.min(length, left);
      const buf = client.outputBuffer();
      const at = client.outputOffset();
      for (let i = 0; i < n; i++) out.push(buf[at + i]);
      left -= n;
      client.written(n, now);
      model.wrote(n, now);
      if (decodeOut()) return model.violation;
      if (!link) return null;
      feed();
      if (model.violation) return model.violation;
    }
    return null;
  };

  /** Hands the client the broker's pending bytes, as many as it takes. */
  const feed = () => {
    while (pendingIn.length > 0 && link) {
      const item = pendingIn[0];
      const bytes = Uint8Array.from(item.bytes);
      let taken: number;
      try {
        taken = client.receive(bytes, 0, bytes.length, now);
      } catch (error) {
        model.violation = "receive() threw: " + String(error);
        return;
      }
      if (taken > 0) model.heard(now);
      if (taken < bytes.length) {
        item.bytes = item.bytes.slice(taken);
        return;
      }
      pendingIn.shift();
      if (item.frame) model.receive(item.frame, now);
      if (!link) return;
      if (client.wantsClose || model.askingClose) closeLink();
    }
  };

  const send = (bytes: number[], frame: BrokerFrame) => {
    if (!link) return;
    // 5.0: a packet over our Maximum Packet Size, a PUBLISH too, closes the connection from its fixed header
    // (0x95): the broker broke [MQTT-3.1.2-24], a Protocol Error (§3.1.2.11.4); 3.1.1 skips such a PUBLISH
    if (v5 && frame.kind !== "malformed" && bytes.length > o.maxPacketSize) frame = { kind: "malformed", reason: 0x95 };
    pendingIn.push({ bytes, frame });
    feed();
  };

  const closeLink = () => {
    link = false;
    out = [];
    publishBegun = false;
    pendingIn = [];
    broker.connectSeen = false;
    broker.pings = 0;
    broker.toClient.length = 0;
    broker.aliases.clear();
  };

  const sync = (where: string): string | null => {
    if (model.violation) return model.violation;
    const events = () => `${where}: events [${got.join(" | ")}], the model says [${model.events.join(" | ")}]${model.isEnding ? " (after end())" : ""}`;
    if (client.wantsClose !== model.askingClose && got.join(" | ") !== model.events.join(" | ")) return events();
    if (client.wantsClose !== model.askingClose) return `${where}: wantsClose ${client.wantsClose}, the model says ${model.askingClose}`;
    if (link && client.wantsClose) {
      client.closed(now);
      model.closed(now);
      closeLink();
    }
    if (got.join(" | ") !== model.events.join(" | ")) return events();
    if (model.missingRandom) return `${where}: the client did not draw a random number for its backoff`;
    if (tally) {
      for (const e of got) {
        const parts = e.split(" ");
        const key = parts[0] === "message" ? `message q${e.slice(-2).replace(/\D/g, "")}` : parts[0] === "subscribed" ? "subscribed " + parts[2] : parts[0] === "acked" && parts.length > 2 ? "acked " + parts[2] : parts[0] === "connected" || parts[0] === "error" || parts[0] === "disconnected" ? e : parts[0];
        tally[key] = (tally[key] ?? 0) + 1;
      }
    }
    got.length = 0;
    model.events.length = 0;
    const s = readStats(client);
    const e = model.expectedStats() as unknown as Record<string, number>;
    if (s !== null) for (const key in s) if (s[key] !== e[key]) return `${where}: stats.${key} ${s[key]}, the model says ${e[key]}`;
    if (client.queuedCount() !== model.live) return `${where}: queuedCount() ${client.queuedCount()}, the model says ${model.live}`;
    return null;
  };

  let refuseNext = false;
  const open = () => {
    const due = client.shouldOpen(now);
    if (due !== model.shouldOpen(now)) return (model.violation = `shouldOpen(${now}) ${due}, the model says ${!due}`);
    if (!due) return null;
    if (refuseNext) {
      refuseNext = false;
      client.closed(now, 0x100);
      model.closed(now);
      return null;
    }
    link = true;
    out = [];
    client.opened(now);
    model.opened(now);
    return null;
  };

  /** Steps left in which the broker sends nothing (a frozen broker, or a link that only carries our bytes). */
  let frozen = 0;
  const BROKER = ["connack", "ack", "inbound", "pubrel", "suback", "pingresp", "garbage", "burst", "stale", "disconnect"];
  const apply = (s: Step): void => {
    if (frozen > 0) {
      frozen--;
      if (BROKER.indexOf(s.k) >= 0) return;
    }
    switch (s.k) {
      case "publish": {
        const topic = TOPICS[s.t % TOPICS.length];
        const text = PAYLOADS[s.p % PAYLOADS.length];
        const payload = s.bytes ? utf8Bytes(text) : text;
        const expected = model.publish(validName(topic), topic, payload, w.utf8Hex(text), w.utf8Length(text), s.q, s.r, undefined, undefined, s.handle, s.exp ?? 0, now);
        const to = s.handle ? handleFor(topic) : topic;
        // 5.0: sometimes with a Message Expiry Interval
        const result = s.exp !== undefined ? client.publish(to, payload, s.q, s.r, 0, -1, { messageExpiryInterval: s.exp }) : client.publish(to, payload, s.q, s.r);
        return check(result, expected, `publish(${topic}${s.handle ? " (handle)" : ""}, ${JSON.stringify(text)}, ${s.q}${s.exp !== undefined ? `, expiry ${s.exp} s` : ""})`);
      }
      case "bad-publish":
        return badPublish(s.v);
      case "subscribe": {
        const requests: SubscribeCall[] = s.t.map((t) => ({ topic: FILTERS[t % FILTERS.length], qos: s.q, handler: s.h ? handlerFor(FILTERS[t % FILTERS.length]) : undefined }));
        return subscribe(requests, requests.map((r) => ({ topic: r.topic, qos: r.qos, onMessage: r.handler })));
      }
      case "bad-subscribe":
        return badSubscribe(s.v);
      case "unsubscribe": {
        const topics = s.t.map((t) => FILTERS[t % FILTERS.length]);
        const expected = model.unsubscribe(topics);
        return threw(() => client.unsubscribe(topics), expected, "unsubscribe");
      }
      case "end":
        client.end(now);
        model.end(now);
        return;
      case "start":
        client.start(now);
        model.start(now);
        return;
      case "take":
        if (s.n === 0) {
          // A transport with no room: it asks what there is to send and takes nothing.
          if (link) client.outputLength();
          return;
        }
        take(s.n);
        return;
      case "drain":
        take(Infinity);
        return;
      case "drop":
        if (!link) return;
        take(s.n);
        if (!link) return;
        client.closed(now, 0x100);
        model.closed(now);
        closeLink();
        return;
      case "advance":
        now += s.ms;
        client.poll(now);
        model.poll(now);
        return;
      case "connack":
        if (!link || !broker.connectSeen || !model.connecting) return;
        // sp 0: as the broker's session says (never on a refusal [MQTT-3.2.2-4]); 1: the wrong way round.
        const right = s.rc === 0 && broker.session && !o.clean;
        const sessionPresent = s.sp === 1 ? !right : right;
        if (v5) {
          // 5.0: the refusal is a reason code (0x80 and up); the properties say what the server allows
          const lim = s.lim ?? [-1, -1, -1, -1, -1];
          const l: w.ConnackLimits = { receiveMaximum: lim[0], maximumQoS: lim[1], retainAvailable: lim[2], maximumPacketSize: lim[3], serverKeepAlive: lim[4] };
          // Its Topic Alias Maximum: as the step says (-1: left out); 10 in runs made before it was drawn.
          // The broker leaves it out when the CONNACK would not fit our Maximum Packet Size.
          let tam = s.tam ?? 10;
          let bytes = w.connack5(sessionPresent, s.rc, s.rc === 0 ? l : null, tam);
          if (bytes.length > o.maxPacketSize) {
            tam = -1;
            bytes = w.connack5(sessionPresent, s.rc, s.rc === 0 ? l : null, tam);
          }
          const limits = { receiveMaximum: l.receiveMaximum >= 0 ? l.receiveMaximum : 65535, maximumQoS: l.maximumQoS >= 0 ? l.maximumQoS : 2, retainAvailable: l.retainAvailable !== 0, maximumPacketSize: l.maximumPacketSize >= 0 ? l.maximumPacketSize : 268435460, serverKeepAlive: l.serverKeepAlive, topicAliasMaximum: tam > 0 ? tam : 0 };
          if (s.badp !== undefined && s.rc === 0) {
            // A property no server may send so: Receive Maximum 0, Maximum QoS 2, Retain Available 2,
            // Maximum Packet Size 0, or Receive Maximum twice (§3.2.2.3): a Protocol Error (0x82)
            const bad = [[0x21, 0, 0], [0x24, 2], [0x25, 2], [0x27, 0, 0, 0, 0], [0x21, 0, 5, 0x21, 0, 6]][s.badp % 5];
            bytes = w.connackWith(sessionPresent, bad);
            return send(bytes, { kind: "malformed", reason: 0x82 });
          }
          send(bytes, { kind: "connack", sessionPresent, returnCode: s.rc, limits });
        } else send(w.connack(sessionPresent, s.rc), { kind: "connack", sessionPresent, returnCode: s.rc });
        if (s.rc === 0 && model.connected) broker.session = !o.clean;
        return;
      case "ack": {
        if (!link || !model.connected) return;
        const ackable = model.ackable();
        if (ackable.length === 0 && s.bad === 0) return;
        if (s.bad === 1 || ackable.length === 0) {
          // An ack for an id the client does not have, or of the wrong kind.
          const ids = model.idsInUse();
          let id = 1 + (s.i % 65535);
          while (ids.indexOf(id) >= 0) id = id === 65535 ? 1 : id + 1;
          const first = [w.PUBACK, w.PUBREC, w.PUBCOMP][s.i % 3];
          return sendAck(first, id, s.rc ?? 0, s.rs === true);
        }
        const [qos, id, state] = ackable[s.i % ackable.length];
        // bad 2: the wrong ack for its QoS or state (PUBCOMP before PUBREC, PUBACK for QoS 2...).
        let first = qos === 1 ? w.PUBACK : state === 1 ? w.PUBREC : s.i % 4 === 0 ? w.PUBREC : w.PUBCOMP;
        if (s.bad === 2) first = qos === 1 ? w.PUBREC : state === 1 ? w.PUBCOMP : w.PUBACK;
        return sendAck(first, id, s.rc ?? 0, s.rs === true);
      }
      case "inbound": {
        if (!link || !model.connected) return;
        // 5.0: the broker holds back a QoS 1/2 PUBLISH while our Receive Maximum is reached [MQTT-3.3.4-9], but when it breaks the rule (over)
        if (v5 && s.q > 0 && broker.toClient.length >= o.receiveMaximum && !s.over) return;
        const topic = TOPICS[s.t % TOPICS.length];
        let id = 0;
        let dup = false;
        if (s.q > 0) {
          if (s.q === 2 && s.dupOf > 0 && broker.unanswered.length > 0) {
            id = broker.unanswered[s.dupOf % broker.unanswered.length];
            dup = true;
          } else {
            id = broker.nextId;
            broker.nextId = broker.nextId === 65535 ? 1 : broker.nextId + 1;
            if (s.q === 2) {
              broker.unanswered.push(id);
              broker.sent.set(id, [s.t, s.n]);
            }
          }
        }
        // 5.0 Topic Alias: (alias) one we never allowed, or (ta > 0) one within our maximum: alone when
        // the broker set it to this topic (or, every other time, to another: that topic then), else set
        // with the topic; (ta < 0) breaking the rules: alias 0, one above our maximum, or alone and never set
        let alias = s.alias ? 1 + (s.t % 3) : -1;
        let sent = topic;
        if (s.ta !== undefined && s.ta > 0) {
          alias = s.ta;
          const set = broker.aliases.get(alias);
          if (set === topic || (set !== undefined && s.n % 2 === 0)) sent = "";
          else broker.aliases.set(alias, topic);
        } else if (s.ta !== undefined) {
          alias = s.ta === -1 ? 0 : s.ta === -2 ? o.topicAliasMaximum + 1 : 0;
          if (s.ta === -3) {
            for (let a = 1; a <= o.topicAliasMaximum; a++) if (!broker.aliases.has(a)) alias = a;
            if (alias !== 0) sent = "";
          }
        }
        const bytes = w.publish(sent, s.q, s.r, dup, id, s.t, s.n, v5 ? 5 : 4, alias);
        if (v5 && s.q > 0) broker.toClient.push(id);
        const oversized = bytes.length > o.maxPacketSize;
        // A Topic Alias of 0 is a value no sender may send [MQTT-3.3.2-8]: the packet is refused as it is
        // decoded, a Protocol Error (0x82) as a Receive Maximum of 0 is (0x94 is for one above the maximum)
        if (alias === 0 && !oversized) return send(bytes, { kind: "malformed", reason: 0x82 });
        return send(bytes, { kind: "publish", topic: sent, payload: w.payloadText(s.t, s.n), qos: s.q, retain: s.r, dup, id, oversized, alias: alias >= 0 ? alias : undefined });
      }
      case "burst":
        // Several PUBLISH in one write, each a new id: a broker emptying its queue for us.
        for (let k = 0; k < s.n && link && model.connected; k++) apply({ k: "inbound", t: k, q: s.q, r: false, n: 1 + (k % 5), dupOf: 0 });
        return;
      case "pubrel": {
        if (!link || !model.connected) return;
        let id: number;
        if (s.bad || broker.pubrecd.length === 0) id = 1 + (s.i % 1000);
        else {
          id = broker.pubrecd[s.i % broker.pubrecd.length];
          const m = broker.sent.get(id);
          if (m) broker.released.set(id, m);
        }
        // 5.0: a PUBREL for an id the broker does not hold may say so (0x92); the client answers PUBCOMP all the same
        return send(v5 && s.bad ? w.ack5(w.PUBREL, id, 0x92, s.i % 2 === 0) : w.ack(w.PUBREL, id), { kind: "pubrel", id });
      }
      case "stale": {
        // A broker that sends a QoS 2 PUBLISH again after its PUBREL, PUBCOMP not back yet: not allowed
        // [MQTT-4.3.3-1], but mosquitto 2.0.11 does it after a failed PUBREL resend. Still the old message.
        if (!link || !model.connected || broker.released.size === 0) return;
        if (v5 && broker.toClient.length >= o.receiveMaximum) return; // within our Receive Maximum all the same
        const ids = [...broker.released.keys()];
        const id = ids[s.i % ids.length];
        const [t, n] = broker.released.get(id)!;
        const topic = TOPICS[t % TOPICS.length];
        const bytes = w.publish(topic, 2, false, true, id, t, n, v5 ? 5 : 4);
        if (v5) broker.toClient.push(id);
        return send(bytes, { kind: "publish", topic, payload: w.payloadText(t, n), qos: 2, retain: false, dup: true, id, oversized: bytes.length > o.maxPacketSize });
      }
      case "suback": {
        if (!link || !model.connected) return;
        const pending = model.pendingRequests();
        if (pending.length === 0 && s.bad === 0) return;
        if (pending.length === 0 || s.bad === 1) {
          const id = 1 + (s.i % 100);
          if (v5) return send(w.suback5(s.i % 2 ? 0x90 : 0xb0, id, [0]), s.i % 2 ? { kind: "suback", id, codes: [0] } : { kind: "unsuback", id });
          return send(s.i % 2 ? w.suback(id, [0]) : w.ack(w.UNSUBACK, id), s.i % 2 ? { kind: "suback", id, codes: [0] } : { kind: "unsuback", id });
        }
        const r = pending[s.i % pending.length];
        // 5.0: UNSUBACK has a reason code per filter too (§3.11.3): 0x00 Success or 0x11 No subscription existed
        if (!r.subscribe) return send(v5 ? w.suback5(0xb0, r.id, r.topics.map((_, j) => ((s.codes >> j) & 1 ? 0x11 : 0))) : w.ack(w.UNSUBACK, r.id), { kind: "unsuback", id: r.id });
        const codes = r.topics.map((_, j) => (v5 ? [0, 1, 2, 0x80, 0x87, 0x97, 0x8f, 0xa2] : [0, 1, 2, 0x80])[(s.codes >> (v5 ? 3 * j : 2 * j)) & (v5 ? 7 : 3)]);
        if (s.bad === 2) codes.push(0); // one return code too many [MQTT-3.9.3-1]
        return send(v5 ? w.suback5(0x90, r.id, codes) : w.suback(r.id, codes), { kind: "suback", id: r.id, codes });
      }
      case "pingresp":
        if (!link || !model.connected || broker.pings === 0) return;
        broker.pings--;
        return send(w.pingresp(), { kind: "pingresp" });
      case "garbage": {
        if (!link || !(model.connected || model.connecting)) return;
        // Packets no broker may send: reserved type, bad flags, QoS 3, a CONNECT, a second CONNACK, and a
        // SUBACK over maxPacketSize (refused from its fixed header alone).
        // 5.0: type 15 is AUTH, which no client that sent no Authentication Method may get (a protocol error, §4.12)
        const forms: [number[], number][] = [
          [[0xf0, 0], v5 ? 0x82 : 0x81],
          [[0x41, 2, 0, 1], 0x81],
          [[0x36, 4, 0, 1, 0x61, 0], 0x81],
          [[0x10, 0], 0x82],
          [model.connected ? (v5 ? w.connack5(false, 0, null) : w.connack(false, 0)) : [0x10, 0], 0x82],
          [w.header(0x90, o.maxPacketSize + 1), 0x95],
        ];
        const [bytes, reason] = forms[s.v % forms.length];
        return send(bytes, { kind: "malformed", reason });
      }
      case "restart":
        if (!s.keep) broker.session = false;
        broker.unanswered.length = 0;
        broker.pubrecd.length = 0;
        if (!link) return;
        client.closed(now, 0x100);
        model.closed(now);
        closeLink();
        return;
      case "refuse":
        refuseNext = true;
        return;
      case "freeze":
        frozen = s.n;
        return;
      case "disconnect":
        // 5.0: the broker ends the connection with a reason (Table 3-10), then closes it
        if (!link || !model.connected) return;
        send(w.disconnect5(s.rc, s.rs), { kind: "disconnect", reason: s.rc });
        return;
    }
  };

  /** PUBACK, PUBREC or PUBCOMP; 5.0 with a reason code (a PUBCOMP's only other one is 0x92) and maybe a Reason String. */
  const sendAck = (first: number, id: number, rc: number, rs: boolean) => {
    const kind = first === w.PUBACK ? "puback" : first === w.PUBREC ? "pubrec" : "pubcomp";
    if (!v5) return send(w.ack(first, id), { kind, id });
    const reason = first === w.PUBCOMP && rc !== 0 ? 0x92 : rc;
    send(w.ack5(first, id, reason, rs), { kind, id, reason });
  };

  const check = (result: number, expected: number, what: string) => {
    if (expected === -1000) {
      if (!(result > 0)) model.violation = `${what} returned ${result}, the model accepts it with a packet id`;
      else model.accepted(result);
      return;
    }
    if (result !== expected) model.violation = `${what} returned ${result}, the model says ${expected}`;
  };

  const threw = (call: () => void, expected: number, what: string) => {
    let code = 0;
    try {
      call();
    } catch (error) {
      const c = (error as { code?: unknown }).code;
      code = typeof c === "number" ? c : -1;
    }
    if (code !== expected) model.violation = `${what}: the client ${code === 0 ? "accepted it" : code === -1 ? "threw without a code" : "threw code " + code}, the model says ${expected === 0 ? "accept" : expected}`;
  };

  const subscribe = (modelRequests: SubscribeCall[] | unknown, clientRequests: unknown) => {
    const expected = model.subscribe(modelRequests);
    threw(() => client.subscribe(clientRequests), expected, "subscribe(" + safeText(clientRequests) + ")");
  };

  const badSubscribe = (v: number) => {
    const c = BAD_SUBSCRIBE[v % BAD_SUBSCRIBE.length];
    const modelView = Array.isArray(c) ? c.map((r: { topic?: unknown; qos?: unknown; onMessage?: unknown }) => ({ topic: r.topic, qos: r.qos, handler: r.onMessage })) : c;
    subscribe(modelView, c);
  };

  const badPublish = (v: number) => {
    const [topic, payload, qos, retain, offset, length] = BAD_PUBLISH[v % BAD_PUBLISH.length];
    const topicText = typeof topic === "string" ? topic : "";
    const topicValid = typeof topic === "string" && validName(topic);
    let payloadHex: string | null = null;
    let payloadBytes = 0;
    if (payload instanceof Uint8Array) {
      const off = typeof offset === "number" && Number.isInteger(offset) ? offset : 0;
      const len = typeof length === "number" && length >= 0 && Number.isInteger(length) ? length : payload.length - off;
      if (off >= 0 && len >= 0 && off + len <= payload.length) {
        payloadHex = w.hex(payload, off, len);
        payloadBytes = len;
      } else payloadHex = "";
    } else if (typeof payload === "string" && wellFormed(payload)) {
      payloadHex = w.utf8Hex(payload);
      payloadBytes = w.utf8Length(payload);
    }
    const expected = model.publish(topicValid, topicText, payload, payloadHex, payloadBytes, qos, retain, offset, length);
    let result: number;
    try {
      result = client.publish(topic, payload, qos, retain, offset, length);
    } catch (error) {
      model.violation = `publish(${safeText(topic)}, ..., ${String(qos)}, ${String(retain)}, ${String(offset)}, ${String(length)}) threw ${String(error)}`;
      return;
    }
    check(result, expected, `publish(${safeText(topic)}, ${typeof payload}, ${String(qos)}, ${String(retain)}, ${String(offset)}, ${String(length)})`);
  };

  client.start(now);
  model.start(now);
  let where = "start";
  let violation = sync(where) ?? open();
  let n = 0;
  for (const step of run.steps) {
    if (violation) break;
    n++;
    where = `step ${n} ${JSON.stringify(step)}`;
    try {
      apply(step);
    } catch (error) {
      violation = `the client threw: ${String(error)}`;
      break;
    }
    violation = model.violation ?? sync(where);
    if (violation) break;
    if (open()) violation = model.violation;
    violation = violation ?? sync(where + " (open)");
  }
  return { violation: violation ? (violation.startsWith("step") || violation.startsWith("start") ? violation : `${where}: ${violation}`) : null, steps: n };
}

function safeText(value: unknown): string {
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s.length > 60 ? s.slice(0, 60) + "..." : s;
  } catch {
    return String(value);
  }
}

export { randomRun, type Run, type Step } from "./steps.js";
