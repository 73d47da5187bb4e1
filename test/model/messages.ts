/**
 * The model's messages: what publish() takes (room by live messages and live bytes, the queue policies),
 * how each message ends (completed, dropped, unconfirmed), which PUBLISH and PUBREL may go next (age order,
 * the in-flight window, DUP only into a kept session, PUBRELs again in PUBREC order), what the broker's
 * acks do, and what a lost connection or session does to them. This module runs on XS.
 */
import { C, publishSize, type BrokerFrame, type Limits, type ModelOptions, type ModelStats } from "./rules.js";
import type { ClientPacket } from "./wire.js";

export const enum M {
  Queued,
  Sent,
  Released,
}

export interface Msg {
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
  /** 5.0 Topic Alias its PUBLISH carries: k > 0 alone (empty topic), -k with its topic (setting it), 0 none. */
  alias: number;
  /** Its PUBLISH's bytes as it goes now (size: the outbox room it holds, an alias-only one its topic's too). */
  wire: number;
  /** 5.0: its Message Expiry Interval (seconds, 0: none), when it runs out, and what its PUBLISH carries. */
  exp: number;
  expiresAt: number;
  expLeft: number;
}

/**
 * 5.0 Topic Aliases towards the broker (§3.3.2.3.4), as the client keeps them for TopicHandle topics:
 * min(options.topicAliases, the server's Topic Alias Maximum) aliases, the least recently used replaced;
 * an alias goes alone only while the broker has it for that topic (the last setter written on this
 * connection, whatever our table names since) and no older setter of it waits to be written (publish()
 * checks that); empty on each connection [MQTT-3.3.2-7].
 */
class OutAliases {
  private readonly topics: (string | null)[];
  private readonly brokerHas: (string | null)[];
  private readonly used: number[];
  private clock = 0;
  private usable = 0;
  constructor(readonly capacity: number) {
    this.topics = [];
    this.brokerHas = [];
    this.used = [];
    for (let k = 0; k < capacity; k++) {
      this.topics.push(null);
      this.brokerHas.push(null);
      this.used.push(0);
    }
  }
  connected(serverMaximum: number): void {
    this.usable = Math.min(serverMaximum, this.capacity);
    for (let k = 0; k < this.capacity; k++) {
      this.topics[k] = null;
      this.brokerHas[k] = null;
    }
  }
  lost(): void {
    this.usable = 0;
  }
  /** k > 0: established (alone); -k: set now or not yet established (with its topic); 0: none. */
  choose(topic: string): number {
    if (this.usable === 0) return 0;
    let free = -1;
    let oldest = 0;
    for (let k = 0; k < this.usable; k++) {
      const named = this.topics[k];
      if (named === topic) {
        this.used[k] = ++this.clock;
        return this.brokerHas[k] === topic ? k + 1 : -(k + 1);
      }
      if (named === null) {
        if (free < 0) free = k;
      } else if (this.used[k] < this.used[oldest]) oldest = k;
    }
    const k = free >= 0 ? free : oldest;
    this.topics[k] = topic;
    this.used[k] = ++this.clock;
    return -(k + 1);
  }
  /** A PUBLISH that set alias k (-k) for `topic` went whole. */
  written(alias: number, topic: string): void {
    const k = -alias - 1;
    if (k < this.usable) this.brokerHas[k] = topic;
  }
}

/** What the messages need of the rest of the model. */
export interface Context {
  readonly o: ModelOptions;
  readonly events: string[];
  readonly stats: ModelStats;
  /** Responses owed, in order: [type, id] (4 PUBACK, 5 PUBREC, 6 PUBREL, 7 PUBCOMP). */
  readonly acks: number[][];
  /** 5.0: what the server's last CONNACK allows (3.1.1: the defaults). */
  readonly limits: Limits;
  readonly v5: boolean;
  fail(what: string): void;
}

export class Messages {
  msgs: Msg[] = [];
  private seq = 0;
  private pubrecSeq = 0;
  /** The id of the resumed session's PUBREL being written, -1 for a queued response, 0 for none. */
  private pubrelWriting = 0;
  /**
   * 5.0 (§4.9): the send quota of this connection: the server's Receive Maximum at CONNACK, one less for
   * each QoS 1/2 PUBLISH begun (a DUP one too), one more for each PUBACK, PUBCOMP or refusing PUBREC, never
   * above where it started [MQTT-4.9.0-1] [MQTT-4.9.0-2]. A PUBREL sent again takes none.
   */
  private quota = Infinity;
  /** 5.0: our Topic Aliases towards the broker. */
  private readonly aliases: OutAliases;
  /** 5.0: the aliases as the broker knows them on this connection (from what was written): each alias-only PUBLISH must resolve to its topic. */
  readonly peerAliases = new Map<number, string>();

  constructor(private readonly c: Context) {
    this.aliases = new OutAliases(c.v5 ? c.o.topicAliases : 0);
  }

  /** publish(): the code the client must return, or -1000 for "taken, with any free packet id" (QoS 1/2). */
  publish(topicValid: boolean, topic: string, payload: unknown, payloadHex: string | null, payloadBytes: number, qos: unknown, retain: unknown, offset: unknown, length: unknown, handle = false, exp = 0, now = 0): number {
    if (qos !== 0 && qos !== 1 && qos !== 2) return C.InvalidQoS;
    if (retain !== undefined && typeof retain !== "boolean") return C.InvalidArgument;
    if (!topicValid) return C.InvalidTopic;
    const isBytes = payload instanceof Uint8Array;
    if (!isBytes && typeof payload !== "string") return C.InvalidPayload;
    if (payloadHex === null) return C.InvalidPayload; // a lone surrogate
    if (isBytes) {
      const n = (payload as Uint8Array).length;
      if (offset !== undefined && !(Number.isInteger(offset) && (offset as number) >= 0 && (offset as number) <= n)) return C.InvalidArgument;
      const off = (offset as number | undefined) ?? 0;
      if (length !== undefined && length !== -1 && !(Number.isInteger(length) && (length as number) >= 0 && off + (length as number) <= n)) return C.InvalidArgument;
    } else if ((offset !== undefined && offset !== 0) || (length !== undefined && length !== -1)) return C.InvalidArgument;
    const props = exp > 0 ? 5 : 0; // a Message Expiry Interval: its identifier and four bytes
    const size = publishSize(topic, payloadBytes, qos, this.c.v5, props);
    const { o, stats, limits } = this.c;
    if (size > o.transmitBufferSize) return C.PayloadTooLarge;
    // 5.0 Topic Alias (three bytes, the last property), chosen at the call: alone once established and
    // only if that is shorter (an alias-only message keeps its topic's bytes as spare), with its topic
    // while it is being set; none if that would not fit the outbox
    let alias = 0;
    let wire = size;
    let spare = 0;
    if (this.c.v5 && handle && this.aliases.capacity > 0) {
      alias = this.aliases.choose(topic);
      // an older setter of this alias waiting to be written would re-map it before this one goes
      if (alias > 0 && this.msgs.some((x) => x.alias === -alias && x.state === M.Queued)) alias = -alias;
      if (alias > 0) {
        wire = publishSize("", payloadBytes, qos, true, props + 3);
        if (wire < size) spare = size - wire;
        else {
          alias = 0;
          wire = size;
        }
      } else if (alias < 0) wire = publishSize(topic, payloadBytes, qos, true, props + 3);
      // nor over the server's Maximum Packet Size [MQTT-3.2.2-15] with the alias's bytes
      if (wire + spare > o.transmitBufferSize || wire > limits.maximumPacketSize) {
        alias = 0;
        wire = size;
        spare = 0;
      }
    }
    // 5.0: refused at the call by what the last CONNACK said (3.1.1: the defaults let everything through)
    if (qos > limits.maximumQoS) return C.QoSNotSupported; // [MQTT-3.2.2-11]
    if (retain === true && !limits.retainAvailable) return C.RetainNotSupported; // [MQTT-3.2.2-14]
    if (size > limits.maximumPacketSize) return C.PacketTooLargeForServer; // [MQTT-3.2.2-15]
    stats.published++;
    const room = wire + spare;
    if (!this.fits(room)) {
      if (o.queuePolicy === "drop-newest") {
        stats.dropped++;
        return C.MessageDropped;
      }
      if (o.queuePolicy === "drop-oldest" && this.canMakeRoom(room)) {
        while (!this.fits(room)) {
          this.msgs.splice(this.msgs.findIndex((m) => m.state === M.Queued && !m.writing), 1);
          stats.dropped++;
          this.c.events.push("error " + C.OldestDropped);
        }
      } else {
        stats.refused++;
        return C.QueueFull;
      }
    }
    stats.queued++;
    this.msgs.push({ seq: this.seq++, topic, payload: payloadHex, qos, retain: retain === true, size: room, id: 0, state: M.Queued, resend: false, dup: false, writing: false, waitSince: 0, pubrecSeq: 0, alias, wire, exp, expiresAt: now + exp * 1000, expLeft: exp });
    return qos > 0 ? -1000 : 0;
  }

  /** The id the client gave the message just taken: free [MQTT-2.3.1-2] (`inUse`: the ids held before it). */
  accepted(id: number, inUse: number[]): void {
    if (!(id >= 1 && id <= 65535) || Math.floor(id) !== id) return this.c.fail(`publish returned packet id ${id}`);
    if (inUse.indexOf(id) >= 0) return this.c.fail(`publish gave packet id ${id}, which is in use [MQTT-2.3.1-2]`);
    this.msgs[this.msgs.length - 1].id = id;
  }

  /** Ids of QoS 1/2 messages (the last, just taken, not yet given one: 0). */
  ids(): number[] {
    const ids: number[] = [];
    for (const m of this.msgs) if (m.qos > 0 && m.id > 0) ids.push(m.id);
    return ids;
  }

  private fits(size: number): boolean {
    let bytes = 0;
    for (const m of this.msgs) bytes += m.size;
    return this.msgs.length < this.c.o.queueSlots && bytes + size <= this.c.o.transmitBufferSize;
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
    return count < this.c.o.queueSlots && bytes + size <= this.c.o.transmitBufferSize;
  }

  /** Messages the broker may acknowledge now: [qos, id, state] (state 1 Sent, 2 Released). */
  ackable(): number[][] {
    const out: number[][] = [];
    for (const m of this.msgs) if (m.qos > 0 && m.state !== M.Queued && !m.writing) out.push([m.qos, m.id, m.state]);
    return out;
  }

  // ---- What the client writes ------------------------------------------------------------------------

  /**
   * A PUBLISH (3) or PUBREL (6) began to go out: which message it is. After end() only a PUBREL owed as a
   * response may begin, and no PUBLISH (one begun before it finishes).
   */
  begins(type: number, ending: boolean, now = 0): void {
    if (type === 3) {
      const m = this.nextPublish(ending);
      if (m && !m.writing) {
        // 5.0: a message started from the queue carries what is left of its Message Expiry Interval
        // (rounded up, at least 1 s); one sent again (DUP) carries what it carried
        if (m.exp > 0 && m.state === M.Queued) m.expLeft = Math.max(1, Math.ceil((m.expiresAt - now) / 1000));
        m.writing = true;
        if (m.qos > 0) this.quota--; // [MQTT-4.9.0-2] each QoS 1/2 PUBLISH sent takes one
      }
    } else if (type === 6) {
      // Responses go before the outbox: a PUBREL begun is the one queued, else the resumed session's first.
      const head = this.c.acks[0];
      if (head && head[0] === 6) this.pubrelWriting = -1;
      else if (ending) this.pubrelWriting = 0;
      else {
        const m = this.firstPubrelResend();
        this.pubrelWriting = m ? m.id : 0;
      }
    }
  }

  private firstPubrelResend(): Msg | null {
    let first: Msg | null = null;
    for (const m of this.msgs) if (m.state === M.Released && m.resend && (first === null || m.pubrecSeq < first.pubrecSeq)) first = m;
    return first;
  }

  hasPubrelResend(): boolean {
    return this.firstPubrelResend() !== null;
  }

  /** The message whose PUBLISH must come next: the oldest that needs one, if the window lets it go. */
  nextPublish(ending: boolean): Msg | null {
    for (const m of this.msgs) if (m.writing) return m; // a PUBLISH begun is finished, even after end()
    if (ending) return null;
    for (const m of this.msgs) {
      // 5.0: a PUBLISH sent again takes its share of the new connection's send quota [MQTT-4.9.0-2]
      if (m.state === M.Sent && m.resend) return this.quota > 0 ? m : null;
      if (m.state !== M.Queued) continue;
      if (m.qos > 0 && (this.inflight() >= this.window() || this.quota <= 0)) return null; // the window is full: nothing overtakes
      return m;
    }
    return null;
  }

  /** QoS 1/2 in flight at most: ours, and in 5.0 the server's Receive Maximum if lower [MQTT-3.3.4-7]. */
  private window(): number {
    return Math.min(this.c.o.inflight, this.c.limits.receiveMaximum);
  }

  /** QoS 1/2 messages sent (or being sent) and not finished: the in-flight window. */
  private inflight(): number {
    let n = 0;
    for (const m of this.msgs) if (m.qos > 0 && (m.state !== M.Queued || m.writing)) n++;
    return n;
  }

  wirePublish(p: Extract<ClientPacket, { type: "publish" }>, now: number, ending: boolean): void {
    const m = this.nextPublish(ending);
    if (m === null) return this.c.fail(`PUBLISH ${p.topic} id ${p.id}${p.dup ? " (DUP)" : ""} when none may go (window ${this.inflight()}/${this.window()}${this.c.v5 ? `, send quota ${this.quota} [MQTT-4.9.0-2]` : ""}, ending ${ending})`);
    const l = this.c.limits;
    if (p.qos > l.maximumQoS) return this.c.fail(`PUBLISH id ${p.id} at QoS ${p.qos}, above the server's Maximum QoS ${l.maximumQoS} [MQTT-3.2.2-11]`);
    if (p.retain && !l.retainAvailable) return this.c.fail(`PUBLISH id ${p.id} with RETAIN, the server has Retain Available 0 [MQTT-3.2.2-14]`);
    if (p.size > l.maximumPacketSize) return this.c.fail(`PUBLISH id ${p.id} of ${p.size} bytes, over the server's Maximum Packet Size ${l.maximumPacketSize} [MQTT-3.2.2-15]`);
    if (this.hasPubrelResend()) return this.c.fail("PUBLISH before the PUBRELs of the resumed session");
    const topic = m.alias > 0 ? "" : m.topic;
    if (p.topic !== topic || p.payload !== m.payload || p.qos !== m.qos || p.retain !== m.retain) {
      return this.c.fail(`PUBLISH ${JSON.stringify(p.topic)} q${p.qos} ${p.payload} is not the next message (${JSON.stringify(topic)} q${m.qos} ${m.payload}, accepted #${m.seq}, alias ${m.alias})`);
    }
    if (this.c.v5) {
      // 5.0: the Topic Alias as the model chose it, within the server's maximum [MQTT-3.3.2-9], one the
      // broker knows for this topic when the topic is left out (§3.3.2.3.4), none carried over a connection [MQTT-3.3.2-7]
      const alias = p.props[0x23];
      const want = m.alias === 0 ? undefined : Math.abs(m.alias);
      if (alias !== want) return this.c.fail(`PUBLISH #${m.seq} (${m.topic}) with Topic Alias ${alias}, the model says ${want}`);
      if (typeof alias === "number") {
        if (alias === 0 || alias > this.c.limits.topicAliasMaximum) return this.c.fail(`PUBLISH with Topic Alias ${alias}, the server's Topic Alias Maximum is ${this.c.limits.topicAliasMaximum} [MQTT-3.3.2-9]`);
        if (p.topic !== "") this.peerAliases.set(alias, p.topic);
        else if (this.peerAliases.get(alias) !== m.topic) return this.c.fail(`PUBLISH #${m.seq} (${m.topic}) with Topic Alias ${alias} alone, which the broker has for ${this.peerAliases.get(alias) ?? "nothing on this connection"}: it takes the message as that topic's (§3.3.2.3.4)`);
      }
      if (p.size !== m.wire) return this.c.fail(`PUBLISH id ${p.id} of ${p.size} bytes, the model says ${m.wire} (accepted #${m.seq}, alias ${m.alias})`);
      // 5.0: the Message Expiry Interval left when it was sent [MQTT-3.3.2-6]
      const exp = p.props[0x02];
      const wantExp = m.exp > 0 ? m.expLeft : undefined;
      if (exp !== wantExp) return this.c.fail(`PUBLISH #${m.seq} (${m.topic}) with Message Expiry Interval ${exp}, the model says ${wantExp}`);
    }
    if (m.qos > 0 && p.id !== m.id) return this.c.fail(`PUBLISH with id ${p.id}, the message has ${m.id} [MQTT-4.4.0-1]`);
    const dup = m.state === M.Sent && m.dup;
    if (p.dup !== dup) return this.c.fail(`PUBLISH id ${m.id} with DUP ${p.dup ? 1 : 0}, expected ${dup ? 1 : 0} [MQTT-3.3.1-1]`);
    m.writing = false;
    if (m.alias < 0) this.aliases.written(m.alias, m.topic); // it set its alias: the alias alone may be used now
    if (dup) this.c.stats.resent++;
    else this.c.stats.sent++;
    if (m.qos === 0) {
      this.msgs.splice(this.msgs.indexOf(m), 1);
      this.c.stats.completed++;
      return;
    }
    m.state = M.Sent;
    m.resend = false;
    m.dup = true;
    m.waitSince = now;
  }

  /** A PUBREL written: a response queued (returns true: the caller pops it) or the resumed session's next. */
  wirePubrel(id: number): boolean {
    const writing = this.pubrelWriting;
    this.pubrelWriting = 0;
    const head = this.c.acks[0];
    if (writing === -1) {
      if (!head || head[0] !== 6 || head[1] !== id) this.c.fail(`PUBREL ${id} written, expected the ack ${head ? `type ${head[0]} id ${head[1]}` : "none"} [MQTT-4.6.0-2]`);
      return true;
    }
    // A PUBREL of the resumed session: the one whose PUBREC came first [MQTT-4.6.0-4] (a PUBREC that came
    // while it was being written has queued its own PUBREL too: the broker gets two, harmlessly).
    if (writing !== id) {
      this.c.fail(`PUBREL ${id} written, expected ${writing > 0 ? writing : "none"} [MQTT-4.6.0-4]`);
      return false;
    }
    const m = this.msgs.find((x) => x.qos === 2 && x.id === id);
    if (m) m.resend = false;
    this.c.stats.resent++;
    return false;
  }

  // ---- Acks from the broker --------------------------------------------------------------------------

  /** Whether a PUBREC is for a message that may get one (then it needs room for its PUBREL). */
  pubrecValid(id: number): boolean {
    const m = this.msgs.find((x) => x.qos > 0 && x.id === id);
    return m !== undefined && m.qos === 2 && !m.writing && m.state !== M.Queued;
  }

  /**
   * PUBACK, PUBREC or PUBCOMP: false if it is a protocol error (an ack for nothing sent, or the wrong one).
   * 5.0: its reason code reaches onAcked; 0x80 and up is a refusal (stats.rejected), and a refusing PUBREC
   * ends the flow there, without PUBREL (§4.3.3), which it may do only before PUBREL went.
   */
  ack(f: { kind: "puback" | "pubrec" | "pubcomp"; id: number; reason?: number }, now: number): boolean {
    const m = this.msgs.find((x) => x.qos > 0 && x.id === f.id);
    const qos = f.kind === "puback" ? 1 : 2;
    const reason = f.reason ?? 0;
    const refusingPubrec = f.kind === "pubrec" && reason >= 0x80;
    if (!m || m.qos !== qos || m.writing || m.state === M.Queued || ((f.kind === "puback" || refusingPubrec) && m.state !== M.Sent) || (f.kind === "pubcomp" && m.state !== M.Released)) return false;
    if (f.kind === "pubrec" && !refusingPubrec) {
      // [MQTT-4.3.3-1] PUBREL answers PUBREC (again, if PUBREC came again).
      m.state = M.Released;
      m.resend = false;
      m.pubrecSeq = this.pubrecSeq++;
      m.waitSince = now;
      this.c.acks.push([6, m.id]);
      return true;
    }
    this.msgs.splice(this.msgs.indexOf(m), 1);
    this.c.stats.acked++;
    this.c.stats.completed++;
    if (reason >= 0x80) this.c.stats.rejected++;
    this.c.events.push("acked " + m.id + (reason !== 0 ? " 0x" + reason.toString(16) : ""));
    // [MQTT-4.9.0-2] PUBACK, PUBCOMP or a refusing PUBREC gives one back, never above the start
    if (this.quota < this.c.limits.receiveMaximum) this.quota++;
    return true;
  }

  /** Whether an ack has been awaited for ackTimeout (from the PUBLISH written whole, or the PUBREC). */
  ackOverdue(now: number): boolean {
    if (this.c.o.ackTimeout === 0) return false;
    for (const m of this.msgs) {
      const waiting = (m.state === M.Sent && !m.resend && !m.writing) || (m.state === M.Released && !m.resend);
      if (waiting && now >= m.waitSince + this.c.o.ackTimeout) return true;
    }
    return false;
  }

  // ---- Connections and sessions ----------------------------------------------------------------------

  /** CONNACK with session present: a PUBREL that goes again waits for its PUBCOMP from now on. */
  sessionResumed(now: number): void {
    for (const m of this.msgs) if (m.state === M.Released) m.waitSince = now;
  }

  /**
   * CONNACK accepted, after the session's fate: a new send quota [MQTT-4.9.0-1]. 5.0: a message whose
   * PUBLISH would go now and is beyond what this CONNACK allows (Maximum QoS [MQTT-3.2.2-11], Retain
   * Available [MQTT-3.2.2-14], Maximum Packet Size [MQTT-3.2.2-15]) is never sent: one queued is dropped
   * (onError with its code, onUnconfirmed for QoS 1/2); one a kept session would send again (DUP) may
   * have reached the broker, so it is unconfirmed (onError with its code, onUnconfirmed), never acked.
   */
  connected(): void {
    const l = this.c.limits;
    this.quota = this.c.v5 ? l.receiveMaximum : Infinity;
    if (!this.c.v5) return;
    // No alias carries over [MQTT-3.3.2-7]: a PUBLISH that goes again goes whole, without one.
    for (const m of this.msgs) {
      if (m.alias === 0) continue;
      // (the room it holds stays: a setter's three bytes become spare, an alias-only one's spare is used)
      if (m.state !== M.Released) m.wire = publishSize(m.topic, m.payload.length / 2, m.qos, true, m.exp > 0 ? 5 : 0);
      m.alias = 0;
    }
    this.aliases.connected(l.topicAliasMaximum);
    for (const m of this.msgs.slice()) {
      const resend = m.state === M.Sent && m.resend;
      if (m.state !== M.Queued && !resend) continue;
      const code = m.qos > l.maximumQoS ? C.QoSNotSupported : m.retain && !l.retainAvailable ? C.RetainNotSupported : m.wire > l.maximumPacketSize ? C.PacketTooLargeForServer : 0;
      if (code === 0) continue;
      this.msgs.splice(this.msgs.indexOf(m), 1);
      if (resend) this.c.stats.unconfirmed++;
      else this.c.stats.dropped++;
      this.c.events.push("error " + code);
      if (m.qos > 0) this.c.events.push("unconfirmed " + m.id);
    }
  }

  /** The broker has no session for us: what the old one held that it may have taken is unconfirmed. */
  sessionLost(): void {
    for (const m of this.msgs.slice()) {
      if (m.state === M.Queued) continue;
      if (m.state === M.Sent && this.c.o.resendOnNewSession) {
        m.state = M.Queued;
        m.resend = false;
        m.dup = false;
        continue;
      }
      this.msgs.splice(this.msgs.indexOf(m), 1);
      this.c.stats.unconfirmed++;
      this.c.events.push("unconfirmed " + m.id);
    }
  }

  /** The connection is gone: a QoS 0 cut off is lost; what was in flight goes again. */
  connectionLost(): void {
    this.aliases.lost();
    for (const m of this.msgs.slice()) {
      if (m.writing) {
        m.writing = false;
        if (m.qos === 0) {
          this.msgs.splice(this.msgs.indexOf(m), 1); // QoS 0 cut off mid-write: at most once, so lost
          this.c.stats.dropped++;
          continue;
        }
        m.state = M.Sent; // the broker may have it
        m.dup = true;
      }
      if (m.state !== M.Queued) m.resend = true;
    }
    this.pubrelWriting = 0;
  }

  /**
   * 5.0 poll(now): a message not yet sent whose Message Expiry Interval ran out is dropped: counted
   * (expired), reported (onError(MessageExpired), and onUnconfirmed at QoS 1/2).
   */
  expire(now: number): void {
    for (const m of this.msgs.slice()) {
      if (m.exp === 0 || m.state !== M.Queued || m.writing || m.expiresAt > now) continue;
      this.msgs.splice(this.msgs.indexOf(m), 1);
      this.c.stats.expired++;
      this.c.events.push("error " + C.MessageExpired);
      if (m.qos > 0) this.c.events.push("unconfirmed " + m.id);
    }
  }

  /** What a drained transport must have sent: every PUBREL of a resumed session and every PUBLISH that may go. */
  quiescent(): void {
    if (this.hasPubrelResend()) return this.c.fail("a PUBREL of the resumed session not sent [MQTT-4.4.0-1]");
    const m = this.nextPublish(false);
    if (m) return this.c.fail(`message #${m.seq} (${m.topic} q${m.qos}) could go and was not sent`);
  }
}

/** A message the broker sent reached the app: the event the client must report (`to`: a filter, or "app"). */
export function messageEvent(f: Extract<BrokerFrame, { kind: "publish" }>, to: string): string {
  return `message ${to} ${f.topic} ${f.payload} q${f.qos}${f.retain ? " retain" : ""}${f.dup ? " dup" : ""}`;
}

