/**
 * The reference model: what the MQTT 3.1.1 client promises its app and what it may put on the wire,
 * written as a small executable specification, apart from the client's code. The model check
 * (harness.ts) drives the real client and this model with the same inputs and compares after every step.
 *
 * What the client promises (each rule below is checked where the comment says):
 * - Publishing. publish() checks every argument and refuses a bad one with a code (nothing queued). A
 *   valid message is accepted while the outbox has a free slot and room for its bytes, counted by live
 *   messages and live bytes; when full, "reject" refuses it (QueueFull: back-pressure, the message stays
 *   the app's), "drop-newest" drops it (MessageDropped), "drop-oldest" drops the oldest messages not yet
 *   sent, only as many as needed and only if that makes room (else QueueFull, nothing dropped).
 * - Each accepted message ends exactly one way: completed (QoS 0 written whole, QoS 1 PUBACK, QoS 2
 *   PUBCOMP: onAcked for QoS 1/2), dropped (queue policy, or a QoS 0 cut off by a lost link), or
 *   unconfirmed (onUnconfirmed: the session that held it was lost after the broker may have taken it).
 *   stats: published = refused + completed + dropped + unconfirmed + live, after every step.
 * - Wire: CONNECT first, once per connection, nothing else before CONNACK. PUBLISH packets go in the
 *   order the messages were accepted (age order), a new QoS 1/2 one only while fewer than `inflight`
 *   are unacknowledged. A PUBLISH is sent again only on a new connection into a session the broker kept,
 *   with DUP and its packet id [MQTT-4.4.0-1] [MQTT-3.3.1-1], in original order [MQTT-4.6.0-1]; PUBRELs
 *   again in PUBREC order [MQTT-4.6.0-4]. QoS 0 is never sent twice. Packet ids are never reused while
 *   in use [MQTT-2.3.1-2]. Nothing follows DISCONNECT [MQTT-3.14.4-2].
 * - New session (CONNACK session present 0, always with clean: true): messages the broker had not
 *   acknowledged (QoS 1 without PUBACK, QoS 2 without PUBREC) are sent again as new when
 *   resendOnNewSession is true (default: at least once across sessions), else reported unconfirmed; a
 *   QoS 2 message past PUBREC is always reported unconfirmed (the broker may forward it only on PUBREL,
 *   §4.3.3 method A, so it may be lost; resending could duplicate it): never reported as acked.
 * - Receiving: every QoS 0 and QoS 1 PUBLISH is delivered (QoS 1 PUBACKed after), a QoS 2 one once per
 *   packet id until its PUBREL [MQTT-4.3.3-2] (PUBREC always, whatever the number in flight); delivery
 *   in the broker's order, to the first subscription whose filter matches and has a handler, else
 *   onMessage. A PUBLISH over maxPacketSize is skipped, acknowledged per its QoS, reported (onError
 *   MessageTooLarge, stats.oversized), and the connection kept. Acks in the order of the packets they
 *   answer [MQTT-4.6.0-2] [MQTT-4.6.0-3].
 * - Subscriptions: SUBACK/UNSUBACK are matched to the request with their packet id; each filter of a
 *   SUBSCRIBE gets onSubscribed(topic, code). A malformed or unexpected packet closes the connection with
 *   its reason (onError, onDisconnected) and the client reconnects.
 * - Liveness: a link that brings nothing is declared dead within keepalive + pingTimeout (PINGREQ when
 *   nothing was sent or nothing received for keepalive); a QoS 1/2 message unacknowledged for ackTimeout
 *   ends the connection (0x102). Reconnects back off exactly as options say.
 * This module runs on XS: no Node APIs.
 */
import type { ClientPacket } from "./wire.js";

export const ACK_QUEUE = 64;

export const enum C {
  QueueFull = -100,
  MessageDropped = -101,
  OldestDropped = -102,
  InvalidTopic = -103,
  InvalidQoS = -104,
  PayloadTooLarge = -105,
  NoPacketId = -106,
  Ended = -107,
  HandlerThrew = -108,
  InvalidArgument = -109,
  InvalidPayload = -110,
  MessageTooLarge = -111,
  SubscriptionTooLarge = -112,
  SubscriptionsFull = -113,
}

export const enum R {
  Normal = 0,
  Malformed = 0x81,
  ProtocolError = 0x82,
  KeepAliveTimeout = 0x8d,
  ConnectionLost = 0x100,
  ConnectTimeout = 0x101,
  AckTimeout = 0x102,
}

export interface ModelOptions {
  clientId: string;
  clean: boolean;
  keepalive: number;
  receiveBufferSize: number;
  maxPacketSize: number;
  transmitBufferSize: number;
  controlBufferSize: number;
  inflight: number;
  queueSlots: number;
  subscriptions: number;
  queuePolicy: "reject" | "drop-oldest" | "drop-newest";
  connectTimeout: number;
  reconnectPeriod: number;
  reconnectPeriodMax: number;
  stableAfter: number;
  pingTimeout: number;
  ackTimeout: number;
  resendOnNewSession: boolean;
  /** SUBSCRIBE/UNSUBSCRIBE requests the client keeps outstanding at once (a documented limit). */
  maxRequests: number;
}

const enum St {
  Stopped,
  Waiting,
  Opening,
  Connecting,
  Connected,
}

const enum M {
  Queued,
  Sent,
  Released,
}

interface Msg {
  seq: number;
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  size: number;
  id: number;
  state: M;
  /** Its PUBLISH (Sent) or PUBREL (Released) must go again on this connection. */
  resend: boolean;
  /** Its PUBLISH went at least once in this session: the next one carries DUP. */
  dup: boolean;
  /** Some of its PUBLISH bytes went on this connection, not all. */
  writing: boolean;
  /** When its PUBLISH was written whole, or its PUBREC came (the ack timeout's start). */
  waitSince: number;
  /** The order its (last) PUBREC came in. */
  pubrecSeq: number;
}

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

interface Request {
  id: number;
  subscribe: boolean;
  topics: string[];
  slots: number[];
}

/** A subscribe() request as the harness made it (its topic may be of any type: invalid input is tested). */
export interface SubscribeCall {
  topic: unknown;
  qos?: unknown;
  handler?: unknown;
}

export interface ModelStats {
  published: number;
  queued: number;
  refused: number;
  completed: number;
  acked: number;
  dropped: number;
  unconfirmed: number;
  received: number;
  oversized: number;
  connects: number;
}

export class Model {
  readonly o: ModelOptions;
  /** Events the client must have reported, in order (the harness compares and empties it). */
  readonly events: string[] = [];
  readonly stats: ModelStats = { published: 0, queued: 0, refused: 0, completed: 0, acked: 0, dropped: 0, unconfirmed: 0, received: 0, oversized: 0, connects: 0 };
  /** Values the client drew from random(), in order, for its backoff. */
  readonly randoms: number[] = [];
  /** The first violation found, or null. */
  violation: string | null = null;
  /** The model backed off and the client drew no random number for it. */
  missingRandom = false;

  private state = St.Stopped;
  private ending = false;
  private wantsClose = false;
  private nextAttemptAt = 0;
  private connectDeadline = 0;
  private connectedAt = 0;
  private attempts = 0;
  private lastSent = 0;
  private lastReceived = 0;
  private pingSentAt = -1;
  /** PINGREQ due and not yet written whole. */
  private pingOwed = false;
  private disconnectOwed = false;
  private connectOwed = false;
  private seq = 0;
  private pubrecSeq = 0;
  private msgs: Msg[] = [];
  private readonly entries: Entry[];
  private requests: Request[] = [];
  /** Inbound QoS 2 ids received and not released. */
  private readonly inbound = new Set<number>();
  /** Responses owed, in order: [type, id]; type 4 PUBACK, 5 PUBREC, 6 PUBREL, 7 PUBCOMP. */
  private acks: number[][] = [];
  /** Broker packets received and not yet handled (waiting for room in the ack queue), as decoded frames. */
  private waiting: BrokerFrame[] = [];

  constructor(options: ModelOptions) {
    this.o = options;
    this.entries = [];
    for (let i = 0; i < options.subscriptions; i++) this.entries.push({ topic: "", qos: 0, handler: false, state: S.Free, req: 0, dirty: false });
  }

  private fail(what: string): void {
    if (this.violation === null) this.violation = what;
  }

  // ---- What the harness reads ----------------------------------------------------------------------

  get connected(): boolean {
    return this.state === St.Connected;
  }
  get connecting(): boolean {
    return this.state === St.Connecting;
  }
  get hasTransport(): boolean {
    return this.state === St.Opening || this.state === St.Connecting || this.state === St.Connected;
  }
  get stopped(): boolean {
    return this.state === St.Stopped;
  }
  get isEnding(): boolean {
    return this.ending;
  }
  get askingClose(): boolean {
    return this.wantsClose;
  }
  get live(): number {
    return this.msgs.length;
  }
  /** Ids of QoS 1/2 messages and requests in use (the broker must not be told others are). */
  idsInUse(): number[] {
    const ids: number[] = [];
    for (const m of this.msgs) if (m.qos > 0) ids.push(m.id);
    for (const r of this.requests) ids.push(r.id);
    return ids;
  }
  /** Messages the broker may acknowledge now: [qos, id, state] (state 1 Sent, 2 Released). */
  ackable(): number[][] {
    const out: number[][] = [];
    for (const m of this.msgs) if (m.qos > 0 && m.state !== M.Queued && !m.writing) out.push([m.qos, m.id, m.state]);
    return out;
  }
  pendingRequests(): Request[] {
    return this.requests;
  }
  subscribedFilters(): string[] {
    const out: string[] = [];
    for (const e of this.entries) if (e.state !== S.Free) out.push(e.topic);
    return out;
  }

  // ---- The app's calls -------------------------------------------------------------------------------

  /** publish(): the code the client must return. `payload` is bytes or a string; sizes are in bytes. */
  publish(topic: unknown, topicValid: boolean, topicText: string, payload: unknown, payloadHex: string | null, payloadBytes: number, qos: unknown, retain: unknown, offset: unknown, length: unknown): number {
    if (this.ending) return C.Ended;
    if (qos !== 0 && qos !== 1 && qos !== 2) return C.InvalidQoS;
    if (retain !== undefined && typeof retain !== "boolean") return C.InvalidArgument;
    if (!topicValid) return C.InvalidTopic;
    void topic;
    const isBytes = payload instanceof Uint8Array;
    if (!isBytes && typeof payload !== "string") return C.InvalidPayload;
    if (payloadHex === null) return C.InvalidPayload; // a lone surrogate
    if (isBytes) {
      const n = (payload as Uint8Array).length;
      if (offset !== undefined && !(Number.isInteger(offset) && (offset as number) >= 0 && (offset as number) <= n)) return C.InvalidArgument;
      const off = (offset as number | undefined) ?? 0;
      if (length !== undefined && length !== -1 && !(Number.isInteger(length) && (length as number) >= 0 && off + (length as number) <= n)) return C.InvalidArgument;
    } else if ((offset !== undefined && offset !== 0) || (length !== undefined && length !== -1)) return C.InvalidArgument;
    const size = publishSize(topicText, payloadBytes, qos);
    if (size > this.o.transmitBufferSize) return C.PayloadTooLarge;
    this.stats.published++;
    if (!this.fits(size)) {
      const policy = this.o.queuePolicy;
      if (policy === "drop-newest") {
        this.stats.dropped++;
        return C.MessageDropped;
      }
      if (policy === "drop-oldest" && this.canMakeRoom(size)) {
        while (!this.fits(size)) {
          const k = this.msgs.findIndex((m) => m.state === M.Queued && !m.writing);
          this.msgs.splice(k, 1);
          this.stats.dropped++;
          this.events.push("error " + C.OldestDropped);
        }
      } else {
        this.stats.refused++;
        return C.QueueFull;
      }
    }
    this.stats.queued++;
    this.msgs.push({ seq: this.seq++, topic: topicText, payload: payloadHex, qos, retain: retain === true, size, id: 0, state: M.Queued, resend: false, dup: false, writing: false, waitSince: 0, pubrecSeq: 0 });
    return qos > 0 ? -1000 : 0; // QoS 1/2: any free id; the harness calls accepted() with it
  }

  /** The id the client gave an accepted QoS 1/2 message: free [MQTT-2.3.1-2]. */
  accepted(id: number): void {
    const m = this.msgs[this.msgs.length - 1];
    if (!(id >= 1 && id <= 65535) || Math.floor(id) !== id) return this.fail(`publish returned packet id ${id}`);
    if (this.idsInUse().indexOf(id) >= 0) return this.fail(`publish gave packet id ${id}, which is in use [MQTT-2.3.1-2]`);
    m.id = id;
  }

  private liveBytes(): number {
    let n = 0;
    for (const m of this.msgs) n += m.size;
    return n;
  }

  private fits(size: number): boolean {
    return this.msgs.length < this.o.queueSlots && this.liveBytes() + size <= this.o.transmitBufferSize;
  }

  /** drop-oldest makes room only by dropping messages not yet sent, and only if enough of them go. */
  private canMakeRoom(size: number): boolean {
    let count = 0;
    let bytes = 0;
    for (const m of this.msgs) {
      if (m.state === M.Queued && !m.writing) continue;
      count++;
      bytes += m.size;
    }
    return count < this.o.queueSlots && bytes + size <= this.o.transmitBufferSize;
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
      if (subscribeSize(r.topic) > this.o.controlBufferSize) return C.SubscriptionTooLarge;
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
      e.dirty = this.requestWriting;
    }
    return 0;
  }

  unsubscribe(topics: unknown): number {
    if (!Array.isArray(topics)) return C.InvalidArgument;
    for (const t of topics) if (typeof t !== "string") return C.InvalidTopic;
    for (const t of topics as string[]) {
      const i = this.find(t);
      if (i < 0) continue;
      const e = this.entries[i];
      e.handler = false;
      e.state = this.state === St.Connected || !this.o.clean ? S.ToRemove : S.Free;
      e.dirty = this.requestWriting;
    }
    return 0;
  }

  private find(topic: string): number {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].state !== S.Free && this.entries[i].topic === topic) return i;
    return -1;
  }

  start(now: number): void {
    if (this.state !== St.Stopped) return;
    this.ending = false;
    this.state = St.Waiting;
    this.nextAttemptAt = now;
  }

  /** A SUBSCRIBE/UNSUBSCRIBE was being written when end() came: it is finished. */
  private requestBegunBeforeEnd = false;

  end(now: number): void {
    if (this.state === St.Stopped) return;
    this.ending = true;
    this.requestBegunBeforeEnd = this.requestWriting;
    if (this.state === St.Connected) {
      this.disconnectOwed = true;
      this.pingOwed = false;
      return;
    }
    this.lost(now, R.Normal);
    this.state = St.Stopped;
  }

  // ---- The transport ------------------------------------------------------------------------------

  /** Whether shouldOpen(now) must answer true. */
  shouldOpen(now: number): boolean {
    if (this.state !== St.Waiting || now < this.nextAttemptAt) return false;
    this.state = St.Opening;
    this.connectDeadline = now + this.o.connectTimeout;
    this.wantsClose = false;
    return true;
  }

  opened(now: number): void {
    if (this.state !== St.Opening) return;
    this.state = St.Connecting;
    this.connectOwed = true;
    this.lastSent = now;
    this.lastReceived = now;
    this.pingSentAt = -1;
    this.pingOwed = false;
    this.disconnectOwed = false;
    this.afterDisconnect = false;
    this.acks = [];
    this.waiting = [];
  }

  /** The transport closed (or failed to open). */
  closed(now: number): void {
    this.wantsClose = false;
    if (this.hasTransport) this.lost(now, R.ConnectionLost);
  }

  /** `count` bytes of output went (written(count, now)). */
  wrote(count: number, now: number): void {
    if (count > 0) this.lastSent = now;
  }

  /** The next deadline poll() runs at: the timers of the connection. */
  poll(now: number): void {
    switch (this.state) {
      case St.Opening:
      case St.Connecting:
        if (now >= this.connectDeadline) this.lost(now, R.ConnectTimeout);
        return;
      case St.Connected: {
        if (this.ending) return;
        if (this.pingSentAt >= 0 && now >= this.pingSentAt + this.o.pingTimeout) return this.lost(now, R.KeepAliveTimeout);
        if (this.o.ackTimeout > 0) {
          for (const m of this.msgs) {
            const waiting = (m.state === M.Sent && !m.resend && !m.writing) || (m.state === M.Released && !m.resend);
            if (waiting && now >= m.waitSince + this.o.ackTimeout) return this.lost(now, R.AckTimeout);
          }
        }
        const ka = this.o.keepalive * 1000;
        if (ka > 0 && this.pingSentAt < 0 && (now - this.lastSent >= ka || now - this.lastReceived >= ka)) {
          // [MQTT-3.1.2-23] nothing sent, or nothing heard, for a keepalive period: PINGREQ.
          this.pingSentAt = now;
          this.pingOwed = true;
        }
        return;
      }
      default:
        return;
    }
  }

  // ---- What the client wrote ----------------------------------------------------------------------

  /** A SUBSCRIBE or UNSUBSCRIBE has begun to go out (the client chose what it carries). */
  private requestWriting = false;

  /** The first byte of a packet went out (the harness saw it): a PUBLISH, SUBSCRIBE or UNSUBSCRIBE begins. */
  begins(type: number): void {
    if (type === 3) {
      const m = this.nextPublish();
      if (m) m.writing = true;
    } else if (type === 8 || type === 10) this.requestWriting = true;
    else if (type === 6) {
      // Responses go before the outbox: a PUBREL begun is the one queued, else the resumed session's first.
      const head = this.acks[0];
      if (head && head[0] === 6) this.pubrelWriting = -1;
      else {
        const m = this.firstPubrelResend();
        this.pubrelWriting = m ? m.id : 0;
      }
    }
  }

  /** The id of the resumed session's PUBREL being written, -1 for a queued response, 0 for none. */
  private pubrelWriting = 0;

  private firstPubrelResend(): Msg | null {
    let first: Msg | null = null;
    for (const m of this.msgs) if (m.state === M.Released && m.resend && (first === null || m.pubrecSeq < first.pubrecSeq)) first = m;
    return first;
  }

  /** A whole packet the client wrote, checked against what it may send now. */
  wire(p: ClientPacket, now: number): void {
    this.now = now;
    if (this.afterDisconnect) return this.fail(`${p.type} after DISCONNECT [MQTT-3.14.4-2]`);
    if (!this.afterDisconnect && (!this.hasTransport || this.state === St.Opening)) return this.fail(`${p.type} written with no connection`);
    if (p.type === "connect") {
      if (!this.connectOwed) return this.fail("CONNECT sent twice on one connection [MQTT-3.1.0-2]");
      this.connectOwed = false;
      if (p.clientId !== this.o.clientId || p.clean !== this.o.clean || p.keepalive !== this.o.keepalive) return this.fail("CONNECT fields differ from the options");
      return;
    }
    if (this.connectOwed) return this.fail(`${p.type} before CONNECT [MQTT-3.1.0-1]`);
    if (this.state !== St.Connected) return this.fail(`${p.type} before CONNACK`);
    switch (p.type) {
      case "publish":
        return this.wirePublish(p, now);
      case "puback":
      case "pubrec":
      case "pubcomp":
        return this.wireAck(p.type === "puback" ? 4 : p.type === "pubrec" ? 5 : 7, p.id);
      case "pubrel":
        return this.wirePubrel(p.id);
      case "subscribe":
        return this.wireSubscribe(p.id, p.topics, p.qos);
      case "unsubscribe":
        return this.wireUnsubscribe(p.id, p.topics);
      case "pingreq":
        this.pingOwed = false;
        return;
      case "disconnect":
        if (!this.disconnectOwed) return this.fail("DISCONNECT without end()");
        if (this.acks.length > 0) return this.fail("DISCONNECT before the acks owed");
        this.disconnectOwed = false;
        this.afterDisconnect = true;
        // DISCONNECT is out: the client closes [MQTT-3.14.4-1] and stops.
        this.lost(now, R.Normal);
        this.state = St.Stopped;
        return;
    }
  }

  /** DISCONNECT was written on this connection: nothing may follow it. */
  private afterDisconnect = false;

  /** The message whose PUBLISH must come next: the oldest that needs one, if the window lets it go. */
  private nextPublish(): Msg | null {
    for (const m of this.msgs) if (m.writing) return m; // a PUBLISH begun is finished, even after end()
    if (this.ending) return null;
    for (const m of this.msgs) {
      if (m.state === M.Sent && m.resend) return m;
      if (m.state !== M.Queued) continue;
      if (m.qos > 0 && this.inflight() >= this.o.inflight) return null; // the window is full: nothing overtakes
      return m;
    }
    return null;
  }

  /** QoS 1/2 messages sent (or being sent) and not finished: the in-flight window. */
  private inflight(): number {
    let n = 0;
    for (const m of this.msgs) if (m.qos > 0 && (m.state !== M.Queued || m.writing)) n++;
    return n;
  }

  private wirePublish(p: Extract<ClientPacket, { type: "publish" }>, now: number): void {
    const m = this.nextPublish();
    if (m === null) return this.fail(`PUBLISH ${p.topic} id ${p.id} when none may go (window ${this.inflight()}/${this.o.inflight}, ending ${this.ending})`);
    if (this.hasPubrelResend()) return this.fail("PUBLISH before the PUBRELs of the resumed session");
    if (p.topic !== m.topic || p.payload !== m.payload || p.qos !== m.qos || p.retain !== m.retain) {
      return this.fail(`PUBLISH ${p.topic} q${p.qos} ${p.payload} is not the next message (${m.topic} q${m.qos} ${m.payload}, accepted #${m.seq})`);
    }
    if (m.qos > 0 && p.id !== m.id) return this.fail(`PUBLISH with id ${p.id}, the message has ${m.id} [MQTT-4.4.0-1]`);
    const dup = m.state === M.Sent && m.dup;
    if (p.dup !== dup) return this.fail(`PUBLISH id ${m.id} with DUP ${p.dup ? 1 : 0}, expected ${dup ? 1 : 0} [MQTT-3.3.1-1]`);
    m.writing = false;
    if (m.qos === 0) {
      this.msgs.splice(this.msgs.indexOf(m), 1);
      this.stats.completed++;
      return;
    }
    m.state = M.Sent;
    m.resend = false;
    m.dup = true;
    m.waitSince = now;
  }

  private hasPubrelResend(): boolean {
    for (const m of this.msgs) if (m.state === M.Released && m.resend) return true;
    return false;
  }

  private wireAck(type: number, id: number): void {
    const head = this.acks[0];
    if (!head || head[0] !== type || head[1] !== id) return this.fail(`ack type ${type} id ${id} written, expected ${head ? `type ${head[0]} id ${head[1]}` : "none"} [MQTT-4.6.0-2]`);
    this.acks.shift();
    this.resume();
  }

  private wirePubrel(id: number): void {
    const writing = this.pubrelWriting;
    this.pubrelWriting = 0;
    const head = this.acks[0];
    if (writing === -1) {
      if (!head || head[0] !== 6 || head[1] !== id) return this.fail(`PUBREL ${id} written, expected the ack ${head ? `type ${head[0]} id ${head[1]}` : "none"} [MQTT-4.6.0-2]`);
      this.acks.shift();
      this.resume();
      return;
    }
    // A PUBREL of the resumed session: the one whose PUBREC came first [MQTT-4.6.0-4] (a PUBREC that came
    // while it was being written has queued its own PUBREL too: the broker gets two, harmlessly).
    if (writing !== id) return this.fail(`PUBREL ${id} written, expected ${writing > 0 ? writing : "none"} [MQTT-4.6.0-4]`);
    const m = this.msgs.find((x) => x.qos === 2 && x.id === id);
    if (m) m.resend = false;
  }

  private wireSubscribe(id: number, topics: string[], qos: number[]): void {
    if (this.ending && !this.requestBegunBeforeEnd) return this.fail("SUBSCRIBE after end()");
    if (this.idsInUse().indexOf(id) >= 0) return this.fail(`SUBSCRIBE with id ${id} in use [MQTT-2.3.1-2]`);
    if (this.requests.length >= this.o.maxRequests) return this.fail("more SUBSCRIBE/UNSUBSCRIBE outstanding than the client holds");
    const slots: number[] = [];
    for (let k = 0; k < topics.length; k++) {
      const i = this.find(topics[k]);
      const e = i >= 0 ? this.entries[i] : null;
      if (!e || (!e.dirty && (e.state !== S.ToSend || e.qos !== qos[k])) || slots.indexOf(i) >= 0) return this.fail(`SUBSCRIBE carries ${topics[k]} q${qos[k]}, not a subscription waiting to go`);
      slots.push(i);
    }
    for (const i of slots) {
      const e = this.entries[i];
      if (!e.dirty) e.state = S.Pending;
      e.req = id;
    }
    this.requestWritten();
    this.requests.push({ id, subscribe: true, topics, slots });
  }

  private wireUnsubscribe(id: number, topics: string[]): void {
    if (this.ending && !this.requestBegunBeforeEnd) return this.fail("UNSUBSCRIBE after end()");
    if (this.idsInUse().indexOf(id) >= 0) return this.fail(`UNSUBSCRIBE with id ${id} in use [MQTT-2.3.1-2]`);
    if (this.requests.length >= this.o.maxRequests) return this.fail("more SUBSCRIBE/UNSUBSCRIBE outstanding than the client holds");
    const slots: number[] = [];
    for (const t of topics) {
      const i = this.find(t);
      const e = i >= 0 ? this.entries[i] : null;
      // A filter the app changed while this was written may also have been forgotten (Free) meanwhile.
      if ((!e && !this.anyDirty()) || (e && !e.dirty && e.state !== S.ToRemove) || (i >= 0 && slots.indexOf(i) >= 0)) return this.fail(`UNSUBSCRIBE carries ${t}, not one waiting to be removed`);
      slots.push(i);
    }
    for (const i of slots) {
      if (i < 0) continue;
      const e = this.entries[i];
      if (!e.dirty) e.state = S.Removing;
      e.req = id;
    }
    this.requestWritten();
    this.requests.push({ id, subscribe: false, topics, slots });
  }

  private anyDirty(): boolean {
    for (const e of this.entries) if (e.dirty) return true;
    return false;
  }

  private requestWritten(): void {
    this.requestWriting = false;
    for (const e of this.entries) e.dirty = false;
  }

  /**
   * After the transport took all the client had to send (outputLength() 0) on an open connection:
   * nothing owed may be left unsent.
   */
  quiescent(): void {
    if (this.state !== St.Connected && this.state !== St.Connecting) return;
    if (this.connectOwed) return this.fail("CONNECT not sent");
    if (this.state !== St.Connected) return;
    if (this.acks.length > 0) return this.fail(`ack type ${this.acks[0][0]} id ${this.acks[0][1]} owed and not sent`);
    if (this.disconnectOwed) return this.fail("DISCONNECT owed and not sent");
    if (this.ending) return;
    if (this.pingOwed) return this.fail("PINGREQ due and not sent [MQTT-3.1.2-23]");
    if (this.hasPubrelResend()) return this.fail("a PUBREL of the resumed session not sent [MQTT-4.4.0-1]");
    const m = this.nextPublish();
    if (m) return this.fail(`message #${m.seq} (${m.topic} q${m.qos}) could go and was not sent`);
    if (this.requests.length < this.o.maxRequests) {
      for (const e of this.entries) {
        if (e.state === S.ToSend) return this.fail(`subscription ${e.topic} not sent`);
        if (e.state === S.ToRemove) return this.fail(`unsubscription ${e.topic} not sent`);
      }
    }
  }

  // ---- What the broker sent -----------------------------------------------------------------------

  /**
   * A whole packet from the broker reached the client (its last byte was taken). Handled now, or after the
   * packets before it, when a response it needs has room.
   */
  receive(frame: BrokerFrame, now: number): void {
    if (!(this.state === St.Connecting || this.state === St.Connected) || this.ending) return;
    this.now = now;
    this.lastReceived = now;
    this.waiting.push(frame);
    this.resume();
  }

  /** Bytes arrived (of any packet): the receive clock. */
  heard(now: number): void {
    if ((this.state === St.Connecting || this.state === St.Connected) && !this.ending) this.lastReceived = now;
  }

  /** The time of the call being handled. */
  private now = 0;

  private resume(): void {
    const now = this.now;
    while (this.waiting.length > 0 && (this.state === St.Connecting || this.state === St.Connected) && !this.ending) {
      const f = this.waiting[0];
      if (this.acks.length >= ACK_QUEUE && this.needsResponse(f)) return; // waits for room
      this.waiting.shift();
      this.handle(f, now);
    }
  }

  /** Whether a packet would queue a response (a PUBREC only when it is for a message that may get one). */
  private needsResponse(f: BrokerFrame): boolean {
    if (f.kind === "publish") return f.qos > 0;
    if (f.kind === "pubrel") return true;
    if (f.kind !== "pubrec" || this.state !== St.Connected) return false;
    const m = this.msgs.find((x) => x.qos > 0 && x.id === f.id);
    return m !== undefined && m.qos === 2 && !m.writing && m.state !== M.Queued;
  }

  private handle(f: BrokerFrame, now: number): void {
    if (f.kind === "malformed") return this.protocolError(now, f.reason);
    if (this.state === St.Connecting) {
      if (f.kind !== "connack") return this.protocolError(now, R.ProtocolError); // [MQTT-3.2.0-1]
      return this.connack(f.sessionPresent, f.returnCode, now);
    }
    switch (f.kind) {
      case "connack":
        return this.protocolError(now, R.ProtocolError);
      case "publish":
        return this.inboundPublish(f);
      case "puback":
      case "pubrec":
      case "pubcomp": {
        const m = this.msgs.find((x) => x.qos > 0 && x.id === f.id);
        const qos = f.kind === "puback" ? 1 : 2;
        if (!m || m.qos !== qos || m.writing || m.state === M.Queued || (f.kind === "puback" && m.state !== M.Sent) || (f.kind === "pubcomp" && m.state !== M.Released)) {
          return this.protocolError(now, R.ProtocolError);
        }
        if (f.kind === "pubrec") {
          // [MQTT-4.3.3-1] PUBREL answers PUBREC (again, if PUBREC came again).
          m.state = M.Released;
          m.resend = false;
          m.pubrecSeq = this.pubrecSeq++;
          m.waitSince = now;
          this.acks.push([6, m.id]);
          return;
        }
        this.msgs.splice(this.msgs.indexOf(m), 1);
        this.stats.acked++;
        this.stats.completed++;
        this.events.push("acked " + m.id);
        return;
      }
      case "pubrel":
        this.inbound.delete(f.id);
        this.acks.push([7, f.id]); // [MQTT-4.3.3-2] PUBCOMP, also for an id not held
        return;
      case "suback":
      case "unsuback": {
        const k = this.requests.findIndex((r) => r.id === f.id && r.subscribe === (f.kind === "suback"));
        if (k < 0) return this.protocolError(now, R.ProtocolError); // [MQTT-3.9.2-1] [MQTT-3.11.2-1]
        const r = this.requests[k];
        if (f.kind === "suback" && f.codes.length !== r.topics.length) return this.protocolError(now, R.ProtocolError); // [MQTT-3.9.3-1]
        this.requests.splice(k, 1);
        for (let j = 0; j < r.topics.length; j++) {
          const e = this.entries[r.slots[j]];
          const current = e.state !== S.Free && e.topic === r.topics[j] && e.req === r.id;
          if (f.kind === "suback") {
            this.events.push(`subscribed ${r.topics[j]} 0x${f.codes[j].toString(16)}`);
            if (current && e.state === S.Pending) e.state = S.Active;
          } else if (current && e.state === S.Removing) {
            e.state = S.Free;
            e.handler = false;
          }
        }
        return;
      }
      case "pingresp":
        this.pingSentAt = -1;
        this.pingOwed = false;
        return;
    }
  }

  private connack(sessionPresent: boolean, returnCode: number, now: number): void {
    if (returnCode !== 0 && sessionPresent) return this.protocolError(now, R.ProtocolError); // [MQTT-3.2.2-4]
    if (returnCode !== 0) {
      const reason = returnCode === 1 ? 0x84 : returnCode === 2 ? 0x85 : returnCode === 3 ? 0x88 : returnCode === 4 ? 0x86 : 0x87;
      this.events.push("error 0x" + reason.toString(16));
      this.lost(now, reason);
      // Refused for who we are: wait the longest delay.
      if (this.state === St.Waiting && returnCode !== 3) this.nextAttemptAt = now + this.o.reconnectPeriodMax;
      return;
    }
    if (sessionPresent && this.o.clean) return this.protocolError(now, R.ProtocolError); // [MQTT-3.2.2-1]
    this.state = St.Connected;
    this.connectedAt = now;
    this.stats.connects++;
    if (!sessionPresent) this.sessionLost();
    else for (const m of this.msgs) if (m.state === M.Released) m.waitSince = now;
    this.events.push("connected " + (sessionPresent ? 1 : 0));
  }

  /** The broker has no session for us: what the old one held that it may have taken is unconfirmed. */
  private sessionLost(): void {
    this.inbound.clear();
    for (const m of this.msgs.slice()) {
      if (m.state === M.Queued) continue;
      if (m.state === M.Sent && this.o.resendOnNewSession) {
        m.state = M.Queued;
        m.resend = false;
        m.dup = false;
        continue;
      }
      this.msgs.splice(this.msgs.indexOf(m), 1);
      this.stats.unconfirmed++;
      this.events.push("unconfirmed " + m.id);
    }
    for (const e of this.entries) {
      if (e.state === S.Pending || e.state === S.Active) e.state = S.ToSend;
      else if (e.state === S.ToRemove || e.state === S.Removing) {
        e.state = S.Free;
        e.handler = false;
      }
    }
  }

  private inboundPublish(f: Extract<BrokerFrame, { kind: "publish" }>): void {
    if (f.oversized) {
      // Skipped and reported once; a QoS 2 one counts as delivered: its resends are not reported again.
      if (f.qos < 2 || !this.inbound.has(f.id)) {
        this.stats.oversized++;
        this.events.push("error " + C.MessageTooLarge);
      }
      if (f.qos === 2) this.inbound.add(f.id);
      if (f.qos > 0) this.acks.push([f.qos === 1 ? 4 : 5, f.id]);
      return;
    }
    if (f.qos === 2) {
      if (!this.inbound.has(f.id)) {
        this.inbound.add(f.id);
        this.deliver(f);
      }
      this.acks.push([5, f.id]);
      return;
    }
    this.deliver(f);
    if (f.qos === 1) this.acks.push([4, f.id]);
  }

  private deliver(f: Extract<BrokerFrame, { kind: "publish" }>): void {
    this.stats.received++;
    let to = "app";
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (!e.handler || e.state === S.Free || e.state === S.ToRemove || e.state === S.Removing) continue;
      if (topicMatches(e.topic, f.topic)) {
        to = "h:" + e.topic;
        break;
      }
    }
    this.events.push(`message ${to} ${f.topic} ${f.payload} q${f.qos}${f.retain ? " retain" : ""}${f.dup ? " dup" : ""}`);
  }

  private protocolError(now: number, reason: number): void {
    this.events.push("error 0x" + reason.toString(16));
    this.lost(now, reason);
  }

  /** The connection is gone: keep what the session needs, plan the next attempt, tell the app. */
  private lost(now: number, reason: number): void {
    const wasConnected = this.state === St.Connected;
    const hadTransport = this.hasTransport;
    this.wantsClose = hadTransport;
    for (const m of this.msgs.slice()) {
      if (m.writing) {
        m.writing = false;
        if (m.qos === 0) {
          this.msgs.splice(this.msgs.indexOf(m), 1); // QoS 0 cut off mid-write: at most once, so lost
          this.stats.dropped++;
          continue;
        }
        m.state = M.Sent; // the broker may have it
        m.dup = true;
      }
      if (m.state !== M.Queued) m.resend = true;
    }
    for (const e of this.entries) {
      if (e.state === S.Pending) e.state = S.ToSend;
      else if (e.state === S.Removing) e.state = S.ToRemove;
    }
    this.requests = [];
    this.requestWritten();
    this.pubrelWriting = 0;
    this.acks = [];
    this.waiting = [];
    this.pingSentAt = -1;
    this.pingOwed = false;
    this.disconnectOwed = false;
    this.connectOwed = false;
    if (wasConnected && now - this.connectedAt >= this.o.stableAfter) this.attempts = 0;
    if (this.ending || this.o.reconnectPeriod === 0) this.state = St.Stopped;
    else {
      this.state = St.Waiting;
      this.nextAttemptAt = now + this.backoff();
    }
    if (hadTransport) this.events.push("disconnected 0x" + reason.toString(16));
  }

  /** Exponential backoff with jitter: a delay in [d/2, d), d = reconnectPeriod * 2^attempts, capped. */
  private backoff(): number {
    let delay = this.o.reconnectPeriod;
    for (let i = 0; i < this.attempts && delay < this.o.reconnectPeriodMax; i++) delay *= 2;
    if (delay > this.o.reconnectPeriodMax) delay = this.o.reconnectPeriodMax;
    this.attempts++;
    const r = this.randoms.shift();
    if (r === undefined) {
      this.missingRandom = true; // reported after the events, which say more
      return 0;
    }
    return Math.floor(delay / 2 + r * (delay / 2));
  }

  /** The stats the client must report now. */
  expectedStats(): ModelStats {
    return this.stats;
  }

  /** Whether the client may take no more input now (waiting for room for a response). */
  get stalled(): boolean {
    return this.waiting.length > 0;
  }
}

/** A broker packet as the harness made it (the model reads these fields, not bytes). */
export type BrokerFrame =
  | { kind: "connack"; sessionPresent: boolean; returnCode: number }
  | { kind: "publish"; topic: string; payload: string; qos: number; retain: boolean; dup: boolean; id: number; oversized: boolean }
  | { kind: "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback"; id: number }
  | { kind: "suback"; id: number; codes: number[] }
  | { kind: "pingresp" }
  | { kind: "malformed"; reason: number };


// ---- Topic rules, written from §4.7 (apart from firmware/mqtt/codec/topic.ts) ---------------------------

export function validFilter(filter: string): boolean {
  if (filter.length === 0 || filter.indexOf("\u0000") >= 0 || !wellFormed(filter)) return false;
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l.indexOf("#") >= 0 && (l !== "#" || i !== levels.length - 1)) return false; // [MQTT-4.7.1-2]
    if (l.indexOf("+") >= 0 && l !== "+") return false; // [MQTT-4.7.1-3]
  }
  return utf8LengthOf(filter) <= 65535;
}

export function validName(name: string): boolean {
  return name.length > 0 && name.indexOf("+") < 0 && name.indexOf("#") < 0 && name.indexOf("\u0000") < 0 && wellFormed(name) && utf8LengthOf(name) <= 65535;
}

/** No lone surrogate [MQTT-1.5.3-1]. */
export function wellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d < 0xe000)) return false;
      i++;
    } else if (c >= 0xdc00 && c < 0xe000) return false;
  }
  return true;
}

function utf8LengthOf(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** §4.7.1 matching; a filter starting with a wildcard does not match a `$` topic [MQTT-4.7.2-1]. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.charAt(0) === "$" && (filter.charAt(0) === "+" || filter.charAt(0) === "#")) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export function publishSize(topic: string, payloadBytes: number, qos: number): number {
  const remaining = 2 + utf8LengthOf(topic) + (qos > 0 ? 2 : 0) + payloadBytes;
  return 1 + varintSize(remaining) + remaining;
}

export function subscribeSize(filter: string): number {
  const remaining = 2 + 2 + utf8LengthOf(filter) + 1;
  return 1 + varintSize(remaining) + remaining;
}

function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}
