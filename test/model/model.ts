/**
 * The reference model: what the MQTT 3.1.1 and 5.0 client promises its app and what it may put on the wire,
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
 * - MQTT 5.0 (protocolVersion 5, runs of their own): CONNECT announces our Receive Maximum and Maximum
 *   Packet Size, and a session that never expires with clean false. From each successful CONNACK: a new
 *   QoS 1/2 PUBLISH only while fewer than min(inflight, its Receive Maximum) are in flight, and no PUBLISH
 *   (a DUP one too) beyond the send quota [MQTT-4.9.0-2]; publish() refuses QoS above Maximum QoS
 *   (-115), retain without Retain Available (-116), a PUBLISH over Maximum Packet Size (-117); no packet
 *   goes over Maximum Packet Size [MQTT-3.2.2-15]; a queued message beyond the limits is dropped
 *   (onError, onUnconfirmed), one a kept session would send again is unconfirmed; Server Keep Alive
 *   replaces ours [MQTT-3.2.2-21]. Ack reason codes reach onAcked (0x80 and up: stats.rejected; a refusing
 *   PUBREC ends the flow, no PUBREL). The broker's DISCONNECT ends the connection with its reason (0x00:
 *   0x103). More unacknowledged QoS 1/2 PUBLISH towards us than our Receive Maximum closes (0x93), the
 *   message not taken. Topic Aliases towards the broker (options.topicAliases, for TopicHandle topics):
 *   min(ours, the CONNACK's Topic Alias Maximum), the least recently used replaced, chosen at publish():
 *   a PUBLISH carries its topic and the alias until one that set it went whole, then the alias alone
 *   (only if shorter); none over the server's maximum [MQTT-3.3.2-9]; every alias-only PUBLISH names the
 *   topic the broker has for that alias (§3.3.2.3.4, checked against what was written on the connection);
 *   none carries over a connection [MQTT-3.3.2-7]: what goes again goes with its topic. Topic Aliases
 *   towards us (properties.topicAliasMaximum): one with a topic sets it, one alone gets the topic back,
 *   the table empty on each connection; above our maximum or alone and never set closes (0x94), alias 0
 *   is refused as it is decoded (0x82, [MQTT-3.3.2-8]). Message Expiry: a message still queued when its
 *   interval ran out by a poll(now) is dropped (stats.expired, onError(MessageExpired), onUnconfirmed
 *   at QoS 1/2); a PUBLISH started from the queue carries what is left, rounded up, at least 1 s.
 * The model is in four files: rules.ts (its vocabulary, topic rules and sizes), messages.ts (publishing,
 * fates, the PUBLISH/PUBREL order, acks, sessions), subscriptions.ts (requests by packet id, dispatch) and
 * this one (the connection: states, CONNECT and CONNACK, keepalive, ack timeout, backoff, the responses
 * owed, receiving, and what the harness asks). This module runs on XS: no Node APIs.
 */
import { Messages, messageEvent, type Context } from "./messages.js";
import { ACK_QUEUE, C, defaultLimits, disconnectHoldsOff, R, refusedForWhoWeAre5, THROWING_PAYLOAD, type BrokerFrame, type Limits, type ModelOptions, type ModelStats } from "./rules.js";
import { Subscriptions, type Request } from "./subscriptions.js";
import type { ClientPacket } from "./wire.js";

export { C, validName, wellFormed } from "./rules.js";
export type { BrokerFrame, ModelOptions, ModelStats, SubscribeCall } from "./rules.js";

const enum St {
  Stopped,
  Waiting,
  Opening,
  Connecting,
  Connected,
}

export class Model implements Context {
  readonly o: ModelOptions;
  /** Events the client must have reported, in order (the harness compares and empties it). */
  readonly events: string[] = [];
  readonly stats: ModelStats = { published: 0, queued: 0, refused: 0, completed: 0, acked: 0, dropped: 0, unconfirmed: 0, sent: 0, resent: 0, received: 0, oversized: 0, connects: 0, rejected: 0, expired: 0 };
  /** 5.0 (protocolVersion 5): CONNECT, CONNACK's limits, reason codes, DISCONNECT from the broker, our Receive Maximum. */
  readonly v5: boolean;
  /** What the server's last successful CONNACK allows (3.1.1: the defaults, no limits). */
  readonly limits: Limits = defaultLimits();
  /**
   * 5.0: our Receive Maximum as the client keeps it (§4.9): QoS 1 PUBLISH, and QoS 2 PUBLISH of an id not
   * held, received on this connection and not yet answered by a PUBACK or PUBCOMP written whole; one more
   * than options.receiveMaximum closes the connection (0x93).
   */
  private inboundUnacked = 0;
  /** Values the client drew from random(), in order, for its backoff. */
  readonly randoms: number[] = [];
  /** The first violation found, or null. */
  violation: string | null = null;
  /** The model backed off and the client drew no random number for it. */
  missingRandom = false;
  /** Responses owed, in order: [type, id]; type 4 PUBACK, 5 PUBREC, 6 PUBREL, 7 PUBCOMP. */
  acks: number[][] = [];

  private readonly messages: Messages;
  private readonly subscriptions: Subscriptions;
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
  /** A PINGREQ began to go out (it finishes even after end()). */
  private pingWriting = false;
  private disconnectOwed = false;
  private connectOwed = false;
  /** DISCONNECT was written on this connection: nothing may follow it. */
  private afterDisconnect = false;
  /** 5.0: the broker's Topic Aliases towards us on this connection (alias to topic). */
  private readonly topicAliases = new Map<number, string>();
  /** Inbound QoS 2 ids received and not released. */
  private readonly inbound = new Set<number>();
  /** Broker packets received and not yet handled (waiting for room in the ack queue). */
  private waiting: BrokerFrame[] = [];
  /** The time of the call being handled. */
  private now = 0;

  constructor(options: ModelOptions) {
    this.o = options;
    this.v5 = options.protocolVersion === 5;
    this.messages = new Messages(this);
    this.subscriptions = new Subscriptions(this);
  }

  fail(what: string): void {
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
  get isEnding(): boolean {
    return this.ending;
  }
  get askingClose(): boolean {
    return this.wantsClose;
  }
  get live(): number {
    return this.messages.msgs.length;
  }
  /** Ids of QoS 1/2 messages and requests in use. */
  idsInUse(): number[] {
    return this.messages.ids().concat(this.subscriptions.ids());
  }
  /** Messages the broker may acknowledge now: [qos, id, state] (state 1 Sent, 2 Released). */
  ackable(): number[][] {
    return this.messages.ackable();
  }
  pendingRequests(): Request[] {
    return this.subscriptions.requests;
  }
  expectedStats(): ModelStats {
    return this.stats;
  }

  // ---- The app's calls -------------------------------------------------------------------------------

  /** publish(): the code the client must return (-1000: taken, with any free packet id; then accepted()). */
  publish(topicValid: boolean, topic: string, payload: unknown, payloadHex: string | null, payloadBytes: number, qos: unknown, retain: unknown, offset: unknown, length: unknown, handle = false, exp = 0, now = 0): number {
    if (this.ending) return C.Ended;
    return this.messages.publish(topicValid, topic, payload, payloadHex, payloadBytes, qos, retain, offset, length, handle, exp, now);
  }

  accepted(id: number): void {
    this.messages.accepted(id, this.idsInUse());
  }

  subscribe(requests: unknown): number {
    return this.subscriptions.subscribe(requests);
  }

  unsubscribe(topics: unknown): number {
    return this.subscriptions.unsubscribe(topics, this.state === St.Connected || !this.o.clean);
  }

  start(now: number): void {
    if (this.state !== St.Stopped) return;
    this.ending = false;
    this.state = St.Waiting;
    this.nextAttemptAt = now;
  }

  end(now: number): void {
    if (this.state === St.Stopped) return;
    this.ending = true;
    this.subscriptions.ending();
    if (this.state === St.Connected) {
      this.disconnectOwed = true;
      this.pingOwed = false;
      this.endDeadline = now + this.o.pingTimeout; // a DISCONNECT that cannot go in time does not hold the end
      return;
    }
    this.lost(now, R.Normal);
  }

  private endDeadline = 0;

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
    this.pingWriting = false;
    this.disconnectOwed = false;
    this.afterDisconnect = false;
    this.acks = [];
    this.waiting = [];
    this.messages.peerAliases.clear(); // no alias carries over [MQTT-3.3.2-7], either way
    this.topicAliases.clear();
  }

  /** The transport closed (or failed to open). */
  closed(now: number): void {
    if (this.hasTransport) this.lost(now, R.ConnectionLost);
    this.wantsClose = false; // the transport is gone: nothing left to close
  }

  /** `count` bytes of output went (written(count, now)). */
  wrote(count: number, now: number): void {
    if (count > 0) this.lastSent = now;
  }

  /** poll(now): the connection's timers, in this order: PINGRESP overdue, ack overdue, PINGREQ due. */
  poll(now: number): void {
    if (this.v5) this.messages.expire(now); // first: messages whose Message Expiry Interval ran out
    switch (this.state) {
      case St.Opening:
      case St.Connecting:
        if (now >= this.connectDeadline) this.lost(now, R.ConnectTimeout);
        return;
      case St.Connected: {
        if (this.ending) {
          if (now >= this.endDeadline) this.lost(now, R.Normal);
          return;
        }
        if (this.pingSentAt >= 0 && now >= this.pingSentAt + this.o.pingTimeout) return this.lost(now, R.KeepAliveTimeout);
        if (this.messages.ackOverdue(now)) return this.lost(now, R.AckTimeout);
        // 5.0: the Server Keep Alive replaces ours [MQTT-3.2.2-21]
        const ka = (this.v5 && this.limits.serverKeepAlive >= 0 ? this.limits.serverKeepAlive : this.o.keepalive) * 1000;
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

  /** The first byte of a packet went out (the harness saw it): which PUBLISH, PUBREL or request it is. */
  begins(type: number, now = 0): void {
    if (type === 3 || type === 6) this.messages.begins(type, this.ending, now);
    else if (type === 8 || type === 10) this.subscriptions.begins();
    else if (type === 12) {
      // A PINGREQ only when one is due [MQTT-3.1.2-23], and none begun after end() (a begun one finishes).
      if (!this.pingOwed || this.ending) this.fail(`PINGREQ begun when none is due${this.ending ? " (after end())" : ""}`);
      this.pingWriting = true;
    }
  }

  /** A whole packet the client wrote (`size` bytes), checked against what it may send now. */
  wire(p: ClientPacket, now: number, size = 0): void {
    this.now = now;
    // 5.0: no packet over the server's Maximum Packet Size [MQTT-3.2.2-15] (CONNECT goes before it is known)
    if (this.v5 && p.type !== "connect" && size > this.limits.maximumPacketSize) return this.fail(`${p.type.toUpperCase()} of ${size} bytes, over the server's Maximum Packet Size ${this.limits.maximumPacketSize} [MQTT-3.2.2-15]`);
    if (this.afterDisconnect) return this.fail(`${p.type} after DISCONNECT [MQTT-3.14.4-2]`);
    if (!this.hasTransport || this.state === St.Opening) return this.fail(`${p.type} written with no connection`);
    if (p.type === "connect") {
      if (!this.connectOwed) return this.fail("CONNECT sent twice on one connection [MQTT-3.1.0-2]");
      this.connectOwed = false;
      if (p.clientId !== this.o.clientId || p.clean !== this.o.clean || p.keepalive !== this.o.keepalive) return this.fail("CONNECT fields differ from the options");
      if (this.v5) {
        // §3.1.2.11: a session that never expires with clean false (0 with clean true: left out), our
        // Receive Maximum (left out at 65,535, the default) and Maximum Packet Size [MQTT-3.1.2-24].
        // Our Topic Alias Maximum (left out at 0, the default) [MQTT-3.1.2-26].
        const want: Record<number, number | undefined> = { 0x11: this.o.clean ? undefined : 0xffffffff, 0x21: this.o.receiveMaximum === 65535 ? undefined : this.o.receiveMaximum, 0x27: this.o.maxPacketSize, 0x22: this.o.topicAliasMaximum === 0 ? undefined : this.o.topicAliasMaximum };
        for (const id in want) if (p.props[id] !== want[id]) return this.fail(`CONNECT property 0x${Number(id).toString(16)} is ${p.props[id]}, expected ${want[id]}`);
      }
      return;
    }
    if (this.connectOwed) return this.fail(`${p.type} before CONNECT [MQTT-3.1.0-1]`);
    if (this.state !== St.Connected) return this.fail(`${p.type} before CONNACK`);
    switch (p.type) {
      case "publish":
        return this.messages.wirePublish(p, now, this.ending);
      case "puback":
      case "pubrec":
      case "pubcomp":
        return this.wireAck(p.type === "puback" ? 4 : p.type === "pubrec" ? 5 : 7, p.id);
      case "pubrel":
        if (this.messages.wirePubrel(p.id)) this.popAck();
        return;
      case "subscribe":
      case "unsubscribe":
        return this.subscriptions.wire(p.type === "subscribe", p.id, p.topics, p.type === "subscribe" ? p.qos : [], this.ending, this.idsInUse());
      case "pingreq":
        if (!this.pingWriting) return this.fail("PINGREQ when none is due");
        this.pingWriting = false;
        this.pingOwed = false;
        return;
      case "disconnect":
        if (!this.disconnectOwed) return this.fail("DISCONNECT without end()");
        if (p.reason !== 0) return this.fail(`DISCONNECT after end() with reason 0x${p.reason.toString(16)}, expected 0x00 (Normal disconnection)`);
        if (this.acks.length > 0) return this.fail("DISCONNECT before the acks owed");
        this.disconnectOwed = false;
        // DISCONNECT is out: the client closes [MQTT-3.14.4-1] and stops.
        this.lost(now, R.Normal);
        this.afterDisconnect = true;
        return;
    }
  }

  private wireAck(type: number, id: number): void {
    const head = this.acks[0];
    if (!head || head[0] !== type || head[1] !== id) return this.fail(`ack type ${type} id ${id} written, expected ${head ? `type ${head[0]} id ${head[1]}` : "none"} [MQTT-4.6.0-2]`);
    // Only once its PUBCOMP has gone is a PUBLISH with that id a new message [MQTT-4.3.3-2].
    if (type === 7) this.inbound.delete(id);
    // 5.0: a PUBACK or PUBCOMP written gives the broker one back (§4.9)
    if ((type === 4 || type === 7) && this.inboundUnacked > 0) this.inboundUnacked--;
    this.popAck();
  }

  /** A response went whole: room for one more, so packets waiting for it go on. */
  private popAck(): void {
    this.acks.shift();
    this.resume();
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
    this.messages.quiescent();
    this.subscriptions.quiescent();
  }

  // ---- What the broker sent -----------------------------------------------------------------------

  /**
   * A whole packet from the broker reached the client (its last byte was taken). Handled now, or after the
   * packets before it, when a response it needs has room. Nothing is read after end().
   */
  receive(frame: BrokerFrame, now: number): void {
    if (!this.reading()) return;
    this.now = now;
    this.lastReceived = now;
    this.waiting.push(frame);
    this.resume();
  }

  /** Bytes arrived (of any packet): the receive clock. */
  heard(now: number): void {
    if (this.reading()) this.lastReceived = now;
  }

  private reading(): boolean {
    return (this.state === St.Connecting || this.state === St.Connected) && !this.ending;
  }

  private resume(): void {
    while (this.waiting.length > 0 && this.reading()) {
      const f = this.waiting[0];
      if (this.acks.length >= ACK_QUEUE && this.needsResponse(f)) return; // waits for room
      this.waiting.shift();
      this.handle(f, this.now);
    }
  }

  /** Whether a packet would queue a response (a PUBREC only when it is for a message that may get one). */
  private needsResponse(f: BrokerFrame): boolean {
    if (f.kind === "publish") return f.qos > 0 && (f.oversized || this.aliasOk(f));
    if (f.kind === "pubrel") return true;
    return f.kind === "pubrec" && (f.reason ?? 0) < 0x80 && this.state === St.Connected && this.messages.pubrecValid(f.id);
  }

  private handle(f: BrokerFrame, now: number): void {
    if (f.kind === "malformed") return this.protocolError(now, f.reason);
    if (this.state === St.Connecting) {
      if (f.kind !== "connack") return this.protocolError(now, R.ProtocolError); // [MQTT-3.2.0-1]
      return this.connack(f.sessionPresent, f.returnCode, now, f.limits);
    }
    switch (f.kind) {
      case "connack":
        return this.protocolError(now, R.ProtocolError);
      case "publish":
        // 5.0: a Topic Alias of 0, above our Topic Alias Maximum [MQTT-3.1.2-27] [MQTT-3.3.2-10], or
        // alone and never set on this connection (§3.3.2.3.4) closes (0x94); one with a topic sets it, one
        // alone gets its topic back (a PUBLISH skipped for its size is not read: it sets nothing)
        if (f.alias !== undefined && !f.oversized) {
          if (!this.aliasOk(f)) return this.protocolError(now, R.TopicAliasInvalid);
          if (f.topic !== "") this.topicAliases.set(f.alias, f.topic);
          else f = { ...f, topic: this.topicAliases.get(f.alias)! };
        }
        return this.inboundPublish(f, now);
      case "puback":
      case "pubrec":
      case "pubcomp":
        if (!this.messages.ack({ kind: f.kind, id: f.id, reason: f.reason }, now)) this.protocolError(now, R.ProtocolError);
        return;
      case "disconnect": {
        // 5.0: the broker closes with its reason (§3.14.2.1); 0x00 is reported as ServerDisconnected. A
        // reason about us (not authorized, busy, taken over, quota, rate) makes the next attempt wait the longest.
        if (f.reason >= 0x80) this.events.push("error 0x" + f.reason.toString(16));
        this.lost(now, f.reason === 0 ? R.ServerDisconnected : f.reason);
        if (this.state === St.Waiting && disconnectHoldsOff(f.reason)) this.nextAttemptAt = now + this.o.reconnectPeriodMax;
        return;
      }
      case "pubrel":
        this.acks.push([7, f.id]); // [MQTT-4.3.3-2] PUBCOMP, also for an id not held; the id goes with it
        return;
      case "suback":
      case "unsuback":
        if (!this.subscriptions.ack(f.kind === "suback" ? f : { kind: "unsuback", id: f.id })) this.protocolError(now, R.ProtocolError);
        return;
      case "pingresp":
        this.pingSentAt = -1;
        this.pingOwed = false;
        return;
    }
  }

  private connack(sessionPresent: boolean, returnCode: number, now: number, limits?: Limits): void {
    if (returnCode !== 0 && sessionPresent) return this.protocolError(now, R.ProtocolError); // [MQTT-3.2.2-4] (5.0: [MQTT-3.2.2-6])
    if (returnCode !== 0) {
      // 5.0: the reason code as it is; 3.1.1: its return code as one
      const reason = this.v5 ? returnCode : returnCode === 1 ? 0x84 : returnCode === 2 ? 0x85 : returnCode === 3 ? 0x88 : returnCode === 4 ? 0x86 : 0x87;
      this.events.push("error 0x" + reason.toString(16));
      this.lost(now, reason);
      // Refused for who we are: wait the longest delay.
      if (this.state === St.Waiting && (this.v5 ? refusedForWhoWeAre5(returnCode) : returnCode !== 3)) this.nextAttemptAt = now + this.o.reconnectPeriodMax;
      return;
    }
    if (sessionPresent && this.o.clean) return this.protocolError(now, R.ProtocolError); // [MQTT-3.2.2-1] (5.0: [MQTT-3.2.2-2])
    if (this.v5) {
      const l = limits ?? defaultLimits();
      this.limits.receiveMaximum = l.receiveMaximum;
      this.limits.maximumQoS = l.maximumQoS;
      this.limits.retainAvailable = l.retainAvailable;
      this.limits.maximumPacketSize = l.maximumPacketSize;
      this.limits.serverKeepAlive = l.serverKeepAlive;
      this.limits.topicAliasMaximum = l.topicAliasMaximum;
      this.inboundUnacked = 0; // the broker's quota towards us starts full again (§4.9)
    }
    this.state = St.Connected;
    this.connectedAt = now;
    this.stats.connects++;
    if (sessionPresent) this.messages.sessionResumed(now);
    else {
      this.inbound.clear();
      this.subscriptions.sessionLost();
      this.messages.sessionLost();
    }
    this.messages.connected(); // after the session's fate: what it queued again is held to the limits too
    this.events.push("connected " + (sessionPresent ? 1 : 0));
  }

  private aliasOk(f: Extract<BrokerFrame, { kind: "publish" }>): boolean {
    if (f.alias === undefined) return true;
    if (f.alias === 0 || f.alias > this.o.topicAliasMaximum) return false;
    return f.topic !== "" || this.topicAliases.has(f.alias);
  }

  private inboundPublish(f: Extract<BrokerFrame, { kind: "publish" }>, now: number): void {
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
      // [MQTT-4.3.3-2] delivered once per id until its PUBCOMP has gone; PUBREC every time.
      if (!this.inbound.has(f.id)) {
        // 5.0: one over our Receive Maximum closes (0x93); the message is not taken (no PUBREC), so the
        // broker that sends it again has it delivered then
        if (this.v5 && ++this.inboundUnacked > this.o.receiveMaximum) return this.protocolError(now, R.ReceiveMaximumExceeded);
        this.inbound.add(f.id);
        this.deliver(f);
      }
      this.acks.push([5, f.id]);
      return;
    }
    if (f.qos === 1 && this.v5 && ++this.inboundUnacked > this.o.receiveMaximum) return this.protocolError(now, R.ReceiveMaximumExceeded);
    this.deliver(f);
    if (f.qos === 1) this.acks.push([4, f.id]);
  }

  private deliver(f: Extract<BrokerFrame, { kind: "publish" }>): void {
    this.stats.received++;
    const to = this.subscriptions.dispatch(f.topic);
    this.events.push(messageEvent(f, to));
    if (to !== "app" && f.payload.length === THROWING_PAYLOAD) this.events.push("error " + C.HandlerThrew); // reported; the client carries on
  }

  private protocolError(now: number, reason: number): void {
    this.events.push("error 0x" + reason.toString(16));
    this.lost(now, reason);
  }

  /** The connection is gone: keep what the session needs, plan the next attempt, tell the app. */
  private lost(now: number, reason: number): void {
    const wasConnected = this.state === St.Connected;
    const hadTransport = this.hasTransport;
    this.wantsClose = this.wantsClose || hadTransport;
    this.messages.connectionLost();
    this.subscriptions.connectionLost();
    this.acks = [];
    this.waiting = [];
    this.pingSentAt = -1;
    this.pingOwed = false;
    this.pingWriting = false;
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
}
