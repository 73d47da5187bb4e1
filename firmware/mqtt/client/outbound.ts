/**
 * The sender's side of QoS (§4.3): publish() into the outbox under the queue policy, the acks that end a
 * message (PUBACK; PUBREC then PUBCOMP), what a lost connection and a lost or kept session do to the
 * messages in flight (their walks over the outbox: session-loss.ts), and how long an ack may keep them waiting.
 * A QoS 0 PUBLISH with nothing before it goes without a record (direct-publish.ts); the output makes it one
 * here (addDirect) if something intervenes.
 */
import { PacketType, ProtocolVersion, type QoS } from "../codec/packet.js";
import { encodePublish, markDuplicate, publishSize, writePublishHeader } from "../codec/packets/publish.js";
import type { Expiry } from "./expiry.js";
import { holdToLimits } from "./connack-limits.js";
import { giveUpSession, oldestAckWait, requeueAfterLinkLoss, restartPubrelWaits } from "./session-loss.js";
import type { OutgoingAliases } from "./outgoing-aliases.js";
import { Property, writeU16Property } from "../codec/properties.js";
import { publishPropertiesSize, writePublishProperties, type PublishProperties } from "./publish-properties.js";
import type { ServerLimits } from "./server-limits.js";
import { topicNameLength, validateTopicName } from "../codec/topic.js";
import { copyBytes, utf8Length, writeU16, writeUtf8, writeVarint } from "../codec/wire.js";
import type { AckQueue } from "./acks.js";
import { ClientError, DisconnectReason } from "./errors.js";
import type { AppEvents } from "./events.js";
import type { ResolvedOptions } from "./options.js";
import { NONE, Outbox, RecordState } from "./outbox.js";
import type { PacketIds } from "./session.js";
import type { ClientStats } from "./stats.js";
import { TopicHandle } from "./topic-handle.js";

const U8 = Uint8Array;

/** What the sender needs of the output (output.ts, which sets itself in Outbound.output): no import back up. */
export interface QueueWatcher {
  /** True while the output knows it has nothing to send; a queued record clears it. */
  quiet: boolean;
}

/** 5.0: our PUBLISH carries an empty property block. */
const NO_PROPERTIES = new Uint8Array(0);
const POLICY_REJECT = 0;
const POLICY_DROP_NEWEST = 1;
const POLICY_DROP_OLDEST = 2;
/** resend[] value of a Sent record whose PUBLISH is being written again now. */
const RESENDING = 2;

export class Outbound {
  private readonly policy: number;
  /** QoS 1/2 in flight at most: ours (inflight), and in 5.0 the server's Receive Maximum if lower [MQTT-3.3.4-7]. */
  private window: number;
  private readonly v5: boolean;
  /**
   * 5.0's send quota (§4.9): the server's Receive Maximum at each CONNACK, less one per QoS 1/2 PUBLISH
   * sent (a resend too [MQTT-4.9.0-2]), plus one per PUBACK, PUBCOMP or refusing PUBREC.
   */
  private quota = 65_535;
  private pubrecCount = 0;
  /** Some Released record may have its PUBREL to send again (set when a connection is lost). */
  pubrelsToResend = false; // read by Output.pick before it calls nextPubrel
  /** The oldest wait for an ack (ackDeadline() - ackTimeout), NaN when a change may have moved it. */
  private ackSince = NaN;
  /** The output (it sets itself here): a record queued makes it look at the outbox again. */
  output: QueueWatcher | null = null;

  constructor(
    private readonly outbox: Outbox,
    private readonly ids: PacketIds,
    private readonly acks: AckQueue,
    private readonly events: AppEvents,
    /** (Output counts a Direct PUBLISH written in it.) */
    readonly stats: ClientStats,
    private readonly options: ResolvedOptions,
    /** What the server's last CONNACK allows (5.0; 3.1.1 keeps the defaults). */
    private readonly limits: ServerLimits,
    /** 5.0: the messages' Message Expiry Intervals, counted down while they wait. */
    private readonly expiry: Expiry,
    /** 5.0: our Topic Aliases towards the broker. */
    private readonly aliases: OutgoingAliases,
  ) {
    this.v5 = options.protocolVersion === 5;
    const p = options.queuePolicy;
    this.policy = p === "drop-newest" ? POLICY_DROP_NEWEST : p === "drop-oldest" ? POLICY_DROP_OLDEST : POLICY_REJECT;
    this.window = options.inflight;
  }

  /**
   * Checks a publish() call's arguments and queues its PUBLISH; returns the packet id (QoS 1/2), 0 (QoS 0)
   * or a negative ClientError. No typeof on the handle path: on XS run from source a string literal in a
   * hot path costs a chunk per call.
   */
  publish(topic: TopicHandle | string, payload: Uint8Array | string, qos: QoS, retain: boolean, offset: number, length: number, properties?: PublishProperties): number {
    if (!(qos === 0 || qos === 1 || qos === 2)) return ClientError.InvalidQoS;
    if (!(retain === false || retain === true)) return ClientError.InvalidArgument;
    // A handle made by another copy of this module (two module instances) fails instanceof: it is taken by
    // its bytes; anything else that is not a string is refused, never coerced.
    let isHandle = (topic as TopicHandle | null)?.constructor === TopicHandle || topic instanceof TopicHandle; // the first costs 4 computrons on XS, instanceof 17
    if (!isHandle && typeof topic !== "string") {
      const bytes = (topic as TopicHandle | null)?.bytes;
      if (!(bytes instanceof Uint8Array) || validateTopicName(bytes, 0, bytes.length) !== 0) return ClientError.InvalidTopic;
      isHandle = true;
    }
    const topicLength = isHandle ? (topic as TopicHandle).bytes.length : topicNameLength(topic as string);
    if (topicLength <= 0) return ClientError.InvalidTopic;
    const payloadBytes = (payload as Uint8Array | null)?.constructor === U8 || payload instanceof Uint8Array;
    let payloadLength: number;
    if (payloadBytes) {
      // Integers in range, or refused: (x | 0) === x is false for NaN, fractions and non-numbers.
      const n = (payload as Uint8Array).length;
      if ((offset | 0) !== offset || offset < 0 || offset > n) return ClientError.InvalidArgument;
      if (length === -1) payloadLength = n - offset;
      else if ((length | 0) !== length || length < 0 || offset + length > n) return ClientError.InvalidArgument;
      else payloadLength = length;
    } else {
      if (typeof payload !== "string") return ClientError.InvalidPayload;
      payloadLength = utf8Length(payload);
      if (payloadLength < 0) return ClientError.InvalidPayload; // [MQTT-1.5.3-1] a lone surrogate
      if (offset !== 0 || length !== -1) return ClientError.InvalidArgument; // a range is for bytes
    }
    const v5 = this.v5;
    let propertiesLength = 0;
    if (properties !== undefined) {
      if (!v5) return ClientError.InvalidArgument; // properties are 5.0's
      propertiesLength = publishPropertiesSize(properties, payloadBytes ? (payload as Uint8Array) : null, offset, payloadLength);
      if (propertiesLength < 0) return propertiesLength;
    }
    // publishSize() inlined for a one-byte Remaining Length (most messages): 2 calls less.
    const short = 2 + topicLength + (qos > 0 ? 2 : 0) + payloadLength + (v5 ? 1 + propertiesLength : 0);
    const size = short < 128 ? short + 2 : publishSize(topicLength, payloadLength, qos, v5 ? ProtocolVersion.V5 : ProtocolVersion.V311, propertiesLength);
    const outbox = this.outbox;
    if (size > outbox.capacity) return ClientError.PayloadTooLarge;
    // 5.0 Topic Alias (outgoing-aliases.ts): alone once established (the record keeps room to be written
    // whole again after a reconnect), with its topic while it is being set; last among the properties.
    let alias = 0;
    let sendSize = size;
    let spare = 0;
    if (v5 && isHandle && this.aliases.capacity > 0) {
      alias = this.aliases.choose((topic as TopicHandle).bytes);
      // An older setter of this alias not yet written would re-map it at the broker before this one goes.
      if (alias > 0 && this.aliases.setterWaiting(this.outbox, alias)) alias = -alias;
      if (alias > 0) {
        sendSize = publishSize(0, payloadLength, qos, ProtocolVersion.V5, propertiesLength + 3);
        if (sendSize < size) spare = size - sendSize;
        else {
          alias = 0; // a topic this short gains nothing
          sendSize = size;
        }
      } else if (alias < 0) sendSize = publishSize(topicLength, payloadLength, qos, ProtocolVersion.V5, propertiesLength + 3);
      // The alias's bytes must not take it over the server's Maximum Packet Size [MQTT-3.2.2-15], nor the outbox.
      if (sendSize + spare > outbox.capacity || sendSize > this.limits.maximumPacketSize) {
        alias = 0;
        sendSize = size;
        spare = 0;
      }
    }
    // 5.0: refused at the call, not sent to be refused: the server's last CONNACK said what it takes.
    const limits = this.limits;
    if (qos > limits.maximumQoS) return ClientError.QoSNotSupported; // [MQTT-3.2.2-11]
    if (retain && !limits.retainAvailable) return ClientError.RetainNotSupported; // [MQTT-3.2.2-14]
    if (size > limits.maximumPacketSize) return ClientError.PacketTooLargeForServer; // [MQTT-3.2.2-15]
    this.stats.published++;
    const room = this.makeRoom(sendSize + spare);
    if (room < 0) return room;
    // room: how many were dropped to make it, reported once this call has done its work (a callback that
    // calls back into the client finds it consistent).
    const packetId = qos > 0 ? this.ids.next() : 0;
    if (qos > 0 && packetId === 0) {
      this.stats.refused++;
      this.reportDropped(room); // what made room for it is gone all the same
      return ClientError.NoPacketId;
    }
    const at = outbox.reserve(sendSize);
    const buf = outbox.bytes;
    let expiryAt = 0;
    if (alias === 0 && isHandle && payloadBytes && propertiesLength === 0) {
      encodePublish(buf, at, (topic as TopicHandle).bytes, payload as Uint8Array, offset, payloadLength, qos, retain, false, packetId, v5 ? NO_PROPERTIES : null, 0);
    } else {
      // A string topic or payload, properties or an alias: written straight into place, no intermediate bytes.
      const aliasOnly = alias > 0;
      const shown = aliasOnly ? 0 : topicLength;
      const block = propertiesLength + (alias !== 0 ? 3 : 0);
      let off = writePublishHeader(buf, at, shown, payloadLength, qos, retain, false, v5 ? block : -1);
      if (aliasOnly) {
        // the topic goes by its alias
      } else if (isHandle) buf.set((topic as TopicHandle).bytes, off);
      else writeUtf8(buf, off, topic as string);
      off += shown;
      if (qos > 0) off = writeU16(buf, off, packetId);
      if (v5) {
        off = writeVarint(buf, off, block);
        if (properties !== undefined) {
          if (properties.messageExpiryInterval !== undefined) expiryAt = off + 1 - at; // written first
          off = writePublishProperties(buf, off, properties);
        }
        if (alias !== 0) off = writeU16Property(buf, off, Property.TopicAlias, aliasOnly ? alias : -alias); // last: writeTopicAgain() drops it
      }
      if (payloadBytes) copyBytes(buf, off, payload as Uint8Array, offset, payloadLength);
      else writeUtf8(buf, off, payload as string);
    }
    const i = outbox.add(sendSize, packetId, qos, spare);
    this.output!.quiet = false; // a record is queued: the output asks the outbox again
    if (i < 0) return this.storeAnswered(i, packetId, room, expiryAt, properties);
    this.aliases.aliasOf[i] = alias;
    this.aliases.topicOf[i] = alias !== 0 ? (topic as TopicHandle).bytes : null;
    if (expiryAt !== 0) this.expiry.stamp(i, expiryAt, properties!.messageExpiryInterval!);
    this.stats.queued++;
    if (room > 0) this.reportDropped(room); // most publishes drop nothing: no call
    return packetId;
  }

  /**
   * Only a flash store's outbox (store/stored-outbox.ts) answers add() below 0: NONE when the flash refused
   * the message (nothing of it stays), -2 - i when it was added at i in place of the unsent one on its topic
   * (latestPerTopic), which is dropped as a queue policy drops one. No topic alias with a store (options.ts).
   */
  private storeAnswered(answer: number, packetId: number, room: number, expiryAt: number, properties: PublishProperties | undefined): number {
    if (answer === NONE) {
      this.stats.refused++;
      this.reportDropped(room); // what made room for it is gone all the same
      return ClientError.StoreFailed;
    }
    const i = -2 - answer;
    this.aliases.aliasOf[i] = 0;
    this.aliases.topicOf[i] = null;
    if (expiryAt !== 0) this.expiry.stamp(i, expiryAt, properties!.messageExpiryInterval!);
    this.stats.queued++;
    this.stats.dropped++;
    this.reportDropped(room);
    this.events.error(ClientError.MessageReplaced);
    return packetId;
  }

  private reportDropped(count: number): void {
    for (let k = 0; k < count; k++) this.events.error(ClientError.OldestDropped);
  }

  /**
   * Makes room for `size` bytes by the queue policy: the number of messages dropped for it (0 or more), or
   * the ClientError for the caller. drop-oldest drops the oldest messages not yet sent, only as many as
   * needed, and only if that is enough. No callback runs here.
   */
  private makeRoom(size: number): number {
    const outbox = this.outbox;
    if (outbox.fits(size)) return 0;
    if (this.policy === POLICY_DROP_NEWEST) {
      this.stats.dropped++;
      return ClientError.MessageDropped;
    }
    if (this.policy === POLICY_DROP_OLDEST && outbox.live - outbox.queued < outbox.slots && outbox.liveBytes - outbox.queuedBytes + size <= outbox.capacity) {
      let dropped = 0;
      while (!outbox.fits(size)) {
        outbox.remove(outbox.oldestQueued()); // one is there: the check above counted them
        dropped++;
      }
      this.stats.dropped += dropped;
      return dropped;
    }
    this.stats.refused++;
    return ClientError.QueueFull;
  }

  // ---- What goes out next (for output.ts) ------------------------------------------------------------

  /** The Released record whose PUBREL must go again first (PUBREC order [MQTT-4.6.0-4]), or NONE. */
  nextPubrel(): number {
    if (!this.pubrelsToResend) return NONE; // only a lost connection makes some: no walk per message
    const outbox = this.outbox;
    let best = NONE;
    for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
      if (outbox.state[i] === RecordState.Released && outbox.resend[i] === 1 && (best === NONE || outbox.pubrecOrder[i] < outbox.pubrecOrder[best])) best = i;
    }
    if (best === NONE) this.pubrelsToResend = false;
    return best;
  }

  /** The PUBREL of a resumed session went whole. */
  pubrelResent(i: number): void {
    this.outbox.resend[i] = 0;
    this.stats.resent++;
    this.ackSince = NaN;
  }

  /**
   * Starts the next PUBLISH in age order: a Sent one to go again (DUP, same id [MQTT-4.4.0-1]) or a
   * Queued one if the window lets it (nothing overtakes it if not). Returns the record, or NONE.
   */
  startNext(): number {
    const outbox = this.outbox;
    for (let i = outbox.first; i !== NONE; i = outbox.next[i]) {
      const state = outbox.state[i];
      if (state === RecordState.Sent && outbox.resend[i] === 1) {
        if (this.v5) {
          if (this.quota <= 0) return NONE; // a resend takes quota too; nothing overtakes it
          this.quota--;
        }
        markDuplicate(outbox.bytes, outbox.offset[i]); // [MQTT-3.3.1-1]
        outbox.resend[i] = RESENDING;
        outbox.setState(i, RecordState.Sending);
        return i;
      }
      if (state === RecordState.Queued) return this.start(i) ? i : NONE;
    }
    return NONE;
  }



  /** Starts a Queued record if the in-flight window has room for it. */
  start(i: number): boolean {
    const outbox = this.outbox;
    if (outbox.state[i] !== RecordState.Queued) return false;
    if (outbox.qos[i] > 0) {
      if (outbox.inflight >= this.window) return false;
      if (this.v5) {
        if (this.quota <= 0) return false; // [MQTT-4.9.0-2]
        this.quota--;
      }
    }
    outbox.setState(i, RecordState.Sending);
    if (outbox.expiryAt[i] !== 0) this.expiry.countDown(i); // what is left of it goes (a run's records too)
    return true;
  }

  /** A record started and not one byte of it went: as if never started. */
  unsend(i: number): void {
    const outbox = this.outbox;
    if (outbox.state[i] !== RecordState.Sending) return;
    if (this.v5 && outbox.qos[i] > 0) this.quota++; // it did not go: its quota comes back
    if (outbox.resend[i] === RESENDING) {
      outbox.resend[i] = 1;
      outbox.setState(i, RecordState.Sent);
    } else outbox.setState(i, RecordState.Queued);
  }

  /** Output's Source.Direct becomes its record (encoded at the outbox's end): its index. */
  addDirect(size: number): number {
    const i = this.outbox.add(size, 0, 0, 0);
    this.aliases.aliasOf[i] = 0;
    this.aliases.topicOf[i] = null;
    return i;
  }

  /** A record's PUBLISH went whole. */
  written(i: number, now: number): void {
    const outbox = this.outbox;
    if (this.aliases.aliasOf[i] < 0) this.aliases.written(i); // it set an alias: the alias alone may be used now
    if (outbox.resend[i] === RESENDING) this.stats.resent++;
    else this.stats.sent++;
    outbox.resend[i] = 0;
    if (outbox.qos[i] === 0) {
      outbox.remove(i);
      this.stats.completed++;
      return;
    }
    outbox.setState(i, RecordState.Sent);
    outbox.waitSince[i] = now;
    if (this.ackSince === Infinity) this.ackSince = now; // else the oldest wait stays the oldest (or unknown)
  }

  // ---- Acks from the broker --------------------------------------------------------------------------

  /**
   * PUBACK or PUBCOMP: 0, or the reason to close for (an ack for nothing we sent, or the wrong one).
   * `reasonCode` (5.0) reaches onAcked: 0x80 and up, the broker refused the message.
   */
  complete(type: PacketType, packetId: number, reasonCode = 0): number {
    const outbox = this.outbox;
    const i = outbox.find(packetId);
    const expected = type === PacketType.Pubcomp ? RecordState.Released : RecordState.Sent; // PUBACK, or a refusing PUBREC
    if (i === NONE || outbox.qos[i] !== (type === PacketType.Puback ? 1 : 2) || outbox.state[i] !== expected) return DisconnectReason.ProtocolError;
    if (outbox.waitSince[i] === this.ackSince) this.ackSince = NaN; // it may have been the oldest wait
    outbox.remove(i);
    if (this.quota < this.limits.receiveMaximum) this.quota++; // §4.9: a PUBACK, PUBCOMP or refusing PUBREC gives one back
    this.stats.acked++;
    this.stats.completed++;
    if (reasonCode >= 0x80) this.stats.rejected++;
    this.events.acked(packetId, reasonCode);
    return 0;
  }

  /**
   * PUBREC: 0, -1 to wait for room for the PUBREL, or the reason to close for. 5.0: a reason code of 0x80
   * and up ends the flow there, without PUBREL (§4.3.3): the broker refused the message.
   */
  pubrec(packetId: number, now: number, reasonCode = 0): number {
    const outbox = this.outbox;
    const i = outbox.find(packetId);
    if (i === NONE || outbox.qos[i] !== 2 || outbox.state[i] < RecordState.Sent) return DisconnectReason.ProtocolError;
    if (reasonCode >= 0x80) {
      if (outbox.state[i] === RecordState.Released) return DisconnectReason.ProtocolError; // refused after PUBREL went
      return this.complete(PacketType.Pubrec, packetId, reasonCode);
    }
    if (this.acks.full()) return -1;
    // [MQTT-4.3.3-1] answer PUBREC with PUBREL (again, if PUBREC came again).
    outbox.setState(i, RecordState.Released);
    if (outbox.state[i] !== RecordState.Released) return 0; // a flash store could not record the PUBREC: no PUBREL (store/stored-outbox.ts)
    outbox.resend[i] = 0;
    outbox.pubrecOrder[i] = this.pubrecCount++;
    if (outbox.waitSince[i] === this.ackSince) this.ackSince = NaN; // it may have been the oldest wait
    else if (this.ackSince === Infinity) this.ackSince = now;
    outbox.waitSince[i] = now;
    this.acks.push(PacketType.Pubrel, packetId);
    return 0;
  }

  // ---- Connections and sessions ----------------------------------------------------------------------

  /**
   * CONNACK accepted (5.0: `limits` holds what it said): the window is ours or the server's Receive
   * Maximum, whichever is lower; a message queued while we did not know the limits and now beyond them
   * is dropped and reported (onError with its code, and onUnconfirmed for QoS 1/2): never sent to be refused.
   */
  connected(): void {
    const limits = this.limits;
    const ours = this.options.inflight;
    this.window = limits.receiveMaximum < ours ? limits.receiveMaximum : ours;
    if (!this.v5) return;
    this.quota = limits.receiveMaximum; // §4.9: the send quota starts afresh on each connection
    this.aliases.rewriteAll(this.outbox); // no alias carries over [MQTT-3.3.2-7]
    this.aliases.connected(limits.topicAliasMaximum);
    holdToLimits(this.outbox, limits, this.stats, this.events);
  }


  /**
   * The connection is gone (records not started are already Queued again): a QoS 0 cut off mid-write
   * is lost (at most once); a QoS 1/2 one may have reached the broker, so it goes again, as do the
   * PUBLISH and PUBREL of every message in flight.
   */
  connectionLost(): void {
    this.aliases.lost();
    this.ackSince = NaN;
    if (requeueAfterLinkLoss(this.outbox, this.stats)) this.pubrelsToResend = true;
  }

  /** CONNACK with session present: a PUBREL that goes again waits for its PUBCOMP from now on. */
  sessionResumed(now: number): void {
    this.ackSince = NaN;
    restartPubrelWaits(this.outbox, now);
  }

  /**
   * The broker has no session for us. A message it had not acknowledged is sent again as new
   * (resendOnNewSession) or given up; one past PUBREC is always given up: the broker may forward it only
   * on the PUBREL it will never get (§4.3.3 method A), and sending it again could deliver it twice.
   * Given up means unconfirmed, never acked.
   */
  sessionLost(): void {
    this.ackSince = NaN;
    this.pubrelsToResend = false;
    giveUpSession(this.outbox, this.options.resendOnNewSession, this.stats, this.events);
  }

  /**
   * When the oldest ack awaited is overdue (ackTimeout), or Infinity. The walk runs only after a change
   * that can move it (the oldest wait acknowledged, a link or session change), not per message.
   */
  ackDeadline(): number {
    const timeout = this.options.ackTimeout;
    if (timeout === 0) return Infinity;
    let since = this.ackSince;
    if (since !== since) since = this.ackSince = oldestAckWait(this.outbox);
    return since + timeout;
  }
}
