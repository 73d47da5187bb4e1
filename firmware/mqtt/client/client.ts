/**
 * The MQTT 3.1.1 client as a sans-IO state machine: it never touches a socket or a timer. A transport
 * (firmware/net/, or a test) feeds it received bytes and the time, writes the bytes it has to send, opens
 * and closes the connection when it asks, and calls poll() at the deadline it gives.
 *
 *   start(now)            begin; shouldOpen(now) turns true when a connection attempt is due
 *   shouldOpen(now)       true once per attempt: open the transport, then call opened(now) or closed(now)
 *   opened(now)           the transport is up: the client queues CONNECT
 *   receive(src, off, n, now) | inputBuffer/inputOffset/inputSpace + received(n, now)
 *   outputLength(), outputBuffer(), outputOffset(), written(n, now)   bytes to send, and how many went
 *   wantsClose            true when the client wants the transport closed (protocol error, timeout, end)
 *   closed(now, reason)   the transport is down (for whatever reason)
 *   poll(now)             timers (CONNACK timeout, keepalive, reconnect); returns the next deadline
 *
 * All memory is allocated in the constructor from the options. After that, publishing, receiving, acking,
 * keeping alive and reconnecting allocate nothing on XS (test/xs/suites/client.xs.ts proves it).
 */
import { decodePacket } from "./decode.js";
import { FrameReader } from "./frame.js";
import { MessageView } from "./message.js";
import { resolveOptions, type ClientOptions, type ResolvedOptions } from "./options.js";
import { RecordState } from "./outbox.js";
import { IncomingPacket, PacketType, ProtocolVersion, type QoS } from "./packet.js";
import { ACK_SIZE, encodeAck } from "./packets/acks.js";
import { connectSize, encodeConnect, validateConnect, type ConnectFields } from "./packets/connect.js";
import { DISCONNECT_SIZE, encodeDisconnect } from "./packets/disconnect.js";
import { encodePingreq, PINGREQ_SIZE } from "./packets/ping.js";
import { encodePublish, markDuplicate, publishSize, writePublishHeader } from "./packets/publish.js";
import { encodeSubscribe, subscribeSize } from "./packets/subscribe.js";
import { encodeUnsubscribe, unsubscribeSize } from "./packets/unsubscribe.js";
import { ByteRing } from "./ring.js";
import { Session } from "./session.js";
import { ClientError, DisconnectReason, reasonCodeOf } from "./status.js";
import { validateTopicFilter, validateTopicName } from "./topic.js";
import { copyBytes, MAX_STRING_LENGTH, utf8Length, writeU16, writeUtf8 } from "./wire.js";

export const enum ClientState {
  /** Not started, or ended. */
  Stopped = 0,
  /** Waiting for the next connection attempt (backoff). */
  Waiting = 1,
  /** The transport is opening. */
  Opening = 2,
  /** CONNECT queued or sent; waiting for CONNACK. */
  Connecting = 3,
  Connected = 4,
}

/** A topic name encoded once (UTF-8, checked): publish with it and the hot path touches no string. */
export class TopicHandle {
  readonly bytes: Uint8Array;
  readonly name: string;
  constructor(name: string) {
    const length = utf8Length(name);
    if (length < 0) throw new TypeError(`topic ${JSON.stringify(name)} is not valid UTF-8 [MQTT-1.5.3-1]`);
    const bytes = new Uint8Array(length);
    writeUtf8(bytes, 0, name);
    const invalid = validateTopicName(bytes, 0, length);
    if (invalid !== 0) throw new TypeError(`topic ${JSON.stringify(name)} is not a valid topic name (${invalid}) [§4.7]`);
    this.bytes = bytes;
    this.name = name;
  }
}

/** One filter of a subscribe() call. */
export interface SubscribeRequest {
  topic: string;
  qos?: QoS;
  /** Called for messages that match this filter (the first matching subscription with a handler gets it). */
  onMessage?: (message: MessageView) => void;
}

/** Counters, readable at any time; they only grow. */
export class ClientStats {
  /** Publishes accepted into the outbox. */
  queued = 0;
  /** PUBLISH packets written to the transport (a message sent again as new after a lost session counts again). */
  sent = 0;
  /** QoS 1/2 publishes completed (PUBACK, PUBCOMP). */
  acked = 0;
  /** Publishes refused or dropped by the queue policy, and QoS 0 lost with a connection. */
  dropped = 0;
  /** PUBLISH (DUP) and PUBREL sent again after a reconnect. */
  resent = 0;
  /** Messages delivered to the app. */
  received = 0;
  /** Connections accepted by the broker. */
  connects = 0;
  /** Inbound QoS 2 PUBLISH left unacknowledged because the inboundQoS2 table was full (sent again after a reconnect). */
  inboundDeferred = 0;
}

const enum SubState {
  Free = 0,
  /** To be sent in the next SUBSCRIBE. */
  ToSend = 1,
  /** Sent; waiting for SUBACK. */
  Pending = 2,
  Active = 3,
  /** To be sent in the next UNSUBSCRIBE. */
  ToRemove = 4,
  /** UNSUBSCRIBE sent; waiting for UNSUBACK. */
  Removing = 5,
}

const enum Source {
  None = 0,
  Control = 1,
  Record = 2,
}

const V4 = ProtocolVersion.V311;
const POLICY_REJECT = 0;
const POLICY_DROP_NEWEST = 1;
const POLICY_DROP_OLDEST = 2;

type Callbacks = Pick<ClientOptions, "onConnected" | "onMessage" | "onAcked" | "onSubscribed" | "onDisconnected" | "onError">;
const EMPTY = new Uint8Array(0);

export class MqttClient {
  readonly options: ResolvedOptions;
  readonly stats = new ClientStats();
  state: ClientState = ClientState.Stopped;
  /** The transport should be closed (then call closed()). */
  wantsClose = false;
  /** Why the last connection ended (a DisconnectReason). */
  lastReason = 0;

  /** CONNECT's fields as bytes, made once; a #private field, so a debug print of the client does not show the credentials. */
  readonly #connect: ConnectFields;
  private readonly rx: ByteRing;
  private readonly control: ByteRing;
  private readonly frame: FrameReader;
  private readonly packet = new IncomingPacket();
  private readonly message = new MessageView();
  private readonly session: Session;

  // Subscriptions, struct of arrays.
  private readonly subTopic: string[];
  private readonly subFilter: Uint8Array[];
  private readonly subQos: Uint8Array;
  private readonly subState: Uint8Array;
  /** The SUBSCRIBE id whose SUBACK an entry awaits (0: none), and the UNSUBSCRIBE id of an entry being removed. */
  private readonly subPacketId: Uint16Array;
  private readonly unsubPacketId: Uint16Array;
  private readonly subHandler: (((message: MessageView) => void) | null)[];
  /** Scratch lists for encoding one SUBSCRIBE/UNSUBSCRIBE from the table, allocated once. */
  private readonly scratchFilters: Uint8Array[];
  private readonly scratchQos: QoS[];
  private readonly scratchIndex: Int32Array;

  // Sending.
  private source = Source.None;
  /** The outbox records being written: a run of consecutive records whose bytes are contiguous. */
  private sendRecord = -1;
  private sendLast = -1;
  /** Bytes of sendRecord written so far. */
  private sendDone = 0;
  /** How many bytes the run has, and how many are written. */
  private sendLength = 0;
  private sendSent = 0;

  // Timers (ms, the transport's clock).
  private nextAttemptAt = 0;
  private connectDeadline = 0;
  private connectedAt = 0;
  private lastSentAt = 0;
  private pingSentAt = -1;
  private attempts = 0;
  /** Inbound QoS 2 PUBLISH left unacknowledged on this connection (the table was full). */
  private deferred = 0;
  /** Reconnect once the control buffer has drained, to be sent the deferred PUBLISH again. */
  private recycle = false;
  private ending = false;
  private readonly random: () => number;
  /** The app's callbacks only: the options object (with its credentials) is not kept. */
  private readonly callbacks: Callbacks;
  /** What a full outbox does (the queuePolicy option as a number: no string compared on a hot path). */
  private readonly policy: number;

  constructor(options: ClientOptions) {
    this.callbacks = {
      onConnected: options.onConnected,
      onMessage: options.onMessage,
      onAcked: options.onAcked,
      onSubscribed: options.onSubscribed,
      onDisconnected: options.onDisconnected,
      onError: options.onError,
    };
    this.#connect = connectFields(options);
    const invalid = validateConnect(this.#connect);
    if (invalid !== null) throw new TypeError(invalid);
    const size = connectSize(this.#connect, V4);
    const o = (this.options = resolveOptions(options, size));
    this.rx = new ByteRing(o.receiveBufferSize);
    this.frame = new FrameReader(o.maxPacketSize);
    this.control = new ByteRing(o.controlBufferSize);
    this.session = new Session(o.transmitBufferSize, o.queueSlots, o.inboundQoS2, o.subscriptions + 4);
    const n = o.subscriptions;
    this.subTopic = new Array<string>(n).fill("");
    this.subFilter = new Array<Uint8Array>(n).fill(EMPTY);
    this.subQos = new Uint8Array(n);
    this.subState = new Uint8Array(n);
    this.subPacketId = new Uint16Array(n);
    this.unsubPacketId = new Uint16Array(n);
    this.subHandler = new Array<((message: MessageView) => void) | null>(n).fill(null);
    this.scratchFilters = new Array<Uint8Array>(n).fill(EMPTY);
    this.scratchQos = new Array<QoS>(n).fill(0);
    this.scratchIndex = new Int32Array(n);
    this.random = options.random ?? Math.random;
    this.policy = o.queuePolicy === "drop-newest" ? POLICY_DROP_NEWEST : o.queuePolicy === "drop-oldest" ? POLICY_DROP_OLDEST : POLICY_REJECT;
  }

  /** Encodes a topic name once, for publish() on a hot path. Throws a TypeError for an invalid name. */
  topic(name: string): TopicHandle {
    return new TopicHandle(name);
  }

  // ---- Lifecycle -------------------------------------------------------------------------------------

  /** Starts connecting: the first attempt is due at once. */
  start(now: number): void {
    if (this.state !== ClientState.Stopped) return;
    this.ending = false;
    this.state = ClientState.Waiting;
    this.nextAttemptAt = now;
  }

  /**
   * Ends the session from our side: sends DISCONNECT if connected (the broker then drops the will), asks
   * for the transport to close, and stops reconnecting. Queued messages stay in the outbox.
   */
  end(now: number): void {
    if (this.state === ClientState.Stopped) return;
    this.ending = true;
    if (this.state === ClientState.Connected) {
      const at = this.control.reserve(DISCONNECT_SIZE);
      if (at >= 0) {
        this.control.commit(encodeDisconnect(this.control.buffer, at) - at);
        return; // written() finishes the close once DISCONNECT is out
      }
    }
    this.lost(now, DisconnectReason.Normal);
    this.state = ClientState.Stopped;
  }

  /** True once per attempt when a connection should be opened now; then call opened() or closed(). */
  shouldOpen(now: number): boolean {
    if (this.state !== ClientState.Waiting || now < this.nextAttemptAt) return false;
    this.state = ClientState.Opening;
    this.connectDeadline = now + this.options.connectTimeout;
    this.wantsClose = false;
    return true;
  }

  /** The transport is open: CONNECT goes first [MQTT-3.1.0-1]. */
  opened(now: number): void {
    if (this.state !== ClientState.Opening) return;
    this.state = ClientState.Connecting;
    this.rx.clear();
    this.control.clear();
    this.source = Source.None;
    const at = this.control.reserve(connectSize(this.#connect, V4));
    this.control.commit(encodeConnect(this.control.buffer, at, this.#connect, V4) - at);
    this.lastSentAt = now;
    this.pingSentAt = -1;
  }

  /** The transport closed or failed to open. */
  closed(now: number, reason: number = DisconnectReason.ConnectionLost): void {
    this.wantsClose = false;
    if (this.state === ClientState.Opening || this.state === ClientState.Connecting || this.state === ClientState.Connected) {
      this.lost(now, reason);
    }
  }

  /** Runs the timers; returns the time poll() should next be called at (Infinity: only on I/O). */
  poll(now: number): number {
    const o = this.options;
    switch (this.state) {
      case ClientState.Waiting:
        return this.nextAttemptAt;
      case ClientState.Opening:
      case ClientState.Connecting:
        if (now >= this.connectDeadline) {
          this.lost(now, DisconnectReason.ConnectTimeout);
          return this.nextDeadline();
        }
        return this.connectDeadline;
      case ClientState.Connected: {
        if (this.pingSentAt >= 0) {
          const deadline = this.pingSentAt + o.pingTimeout;
          if (now >= deadline) {
            this.lost(now, DisconnectReason.KeepAliveTimeout);
            return this.nextDeadline();
          }
          return deadline;
        }
        if (o.keepalive === 0) return Infinity;
        const due = this.lastSentAt + o.keepalive * 1000;
        if (now < due) return due;
        // [MQTT-3.1.2-23] nothing sent for a keepalive interval: PINGREQ.
        const at = this.control.reserve(PINGREQ_SIZE);
        if (at < 0) return now + 100; // the control buffer is full of unsent bytes: they will count as activity
        this.control.commit(encodePingreq(this.control.buffer, at) - at);
        this.pingSentAt = now;
        return now + o.pingTimeout;
      }
      default:
        return Infinity;
    }
  }

  /** After a loss: the next attempt's time, or Infinity when stopped. */
  private nextDeadline(): number {
    return this.state === ClientState.Waiting ? this.nextAttemptAt : Infinity;
  }

  // ---- Publishing ------------------------------------------------------------------------------------

  /**
   * Queues a PUBLISH. `topic` is a TopicHandle (fast, allocation-free) or a string (checked and encoded on
   * every call: slower); `payload` is bytes (its [offset, offset + length) part) or a string (UTF-8).
   * Returns the packet id (QoS 1/2), 0 (QoS 0), or a negative ClientError. Nothing is thrown.
   */
  publish(topic: TopicHandle | string, payload: Uint8Array | string, qos: QoS = 0, retain = false, offset = 0, length = -1): number {
    if (this.ending) return ClientError.Ended; // before start() is fine: the message waits in the outbox
    if (!(qos === 0 || qos === 1 || qos === 2)) return ClientError.InvalidQoS;
    // instanceof first, not typeof: a string literal in a hot path costs a chunk per call on XS run from
    // source. A handle made by another copy of this module (two module instances) fails instanceof: it is
    // recognised by its bytes, and anything else that is not a string is refused, never coerced to one.
    let isHandle = topic instanceof TopicHandle;
    if (!isHandle && typeof topic !== "string") {
      const bytes = (topic as TopicHandle | null)?.bytes;
      if (!(bytes instanceof Uint8Array) || validateTopicName(bytes, 0, bytes.length) !== 0) return ClientError.InvalidTopic;
      isHandle = true;
    }
    const payloadBytes = payload instanceof Uint8Array;
    if (!payloadBytes && typeof payload !== "string") return ClientError.PayloadTooLarge;
    const topicLength = isHandle ? (topic as TopicHandle).bytes.length : topicNameLength(topic as string);
    if (topicLength <= 0) return ClientError.InvalidTopic;
    let payloadLength: number;
    if (!payloadBytes) {
      payloadLength = utf8Length(payload as string);
      if (payloadLength < 0) return ClientError.PayloadTooLarge;
    } else {
      payloadLength = length < 0 ? payload.length - offset : length;
      if (offset < 0 || payloadLength < 0 || offset + payloadLength > payload.length) return ClientError.PayloadTooLarge;
    }
    const size = publishSize(topicLength, payloadLength, qos, V4);
    const outbox = this.session.outbox;
    if (size > outbox.ring.capacity) return ClientError.PayloadTooLarge;
    const room = this.makeRoom(size);
    if (room < 0) return room;
    const packetId = qos > 0 ? this.session.nextPacketId() : 0;
    if (qos > 0 && packetId === 0) return ClientError.NoPacketId;
    const at = outbox.reserve(size);
    const buf = outbox.ring.buffer;
    if (isHandle && payloadBytes) {
      encodePublish(buf, at, (topic as TopicHandle).bytes, payload as Uint8Array, offset, payloadLength, qos, retain, false, packetId);
    } else {
      // A string topic or payload is written straight into place, with no intermediate bytes.
      let off = writePublishHeader(buf, at, topicLength, payloadLength, qos, retain, false);
      if (isHandle) buf.set((topic as TopicHandle).bytes, off);
      else writeUtf8(buf, off, topic as string);
      off += topicLength;
      if (qos > 0) off = writeU16(buf, off, packetId);
      if (payloadBytes) copyBytes(buf, off, payload as Uint8Array, offset, payloadLength);
      else writeUtf8(buf, off, payload as string);
    }
    outbox.add(at, size, packetId, qos);
    this.stats.queued++;
    return packetId;
  }

  /** Applies the queue policy until `size` bytes fit; returns 0 or the ClientError to give the caller. */
  private makeRoom(size: number): number {
    const outbox = this.session.outbox;
    if (outbox.fits(size)) return 0;
    const policy = this.policy;
    if (policy === POLICY_DROP_NEWEST) {
      this.stats.dropped++;
      return ClientError.MessageDropped;
    }
    if (policy === POLICY_DROP_OLDEST) {
      for (;;) {
        const oldest = outbox.oldestQueued();
        if (oldest < 0) break;
        outbox.remove(oldest);
        this.stats.dropped++;
        this.error(ClientError.OldestDropped);
        if (outbox.fits(size)) return 0;
      }
    }
    return ClientError.QueueFull;
  }

  /** Messages in the outbox: queued and in flight. */
  queuedCount(): number {
    return this.session.outbox.live;
  }

  // ---- Subscriptions ---------------------------------------------------------------------------------

  /**
   * Subscribes to one or more topic filters in one SUBSCRIBE (sent now if connected, else on connect;
   * re-sent after any connect without a session). Throws a TypeError for an invalid filter or QoS and a
   * RangeError when the subscription table is full: subscribing is set-up, not a hot path.
   */
  subscribe(requests: readonly SubscribeRequest[]): void {
    if (requests.length === 0) throw new TypeError("subscribe needs at least one topic filter [MQTT-3.8.3-3]");
    const filters = requests.map((request) => {
      const qos = request.qos ?? 0;
      if (!(qos === 0 || qos === 1 || qos === 2)) throw new TypeError(`subscribe ${request.topic}: qos must be 0, 1 or 2`);
      const length = utf8Length(request.topic);
      if (length < 0) throw new TypeError(`topic filter ${JSON.stringify(request.topic)} is not valid UTF-8`);
      const bytes = new Uint8Array(length);
      writeUtf8(bytes, 0, request.topic);
      const invalid = validateTopicFilter(bytes, 0, length);
      if (invalid !== 0) throw new TypeError(`topic filter ${JSON.stringify(request.topic)} is not valid (${invalid}) [§4.7.1]`);
      return bytes;
    });
    let free = 0;
    for (let i = 0; i < this.subState.length; i++) if (this.subState[i] === SubState.Free) free++;
    if (free < requests.length) throw new RangeError(`the subscription table is full (${this.subState.length} slots)`);
    requests.forEach((request, k) => {
      let slot = this.findSubscription(request.topic);
      if (slot < 0) slot = this.subState.indexOf(SubState.Free);
      this.subTopic[slot] = request.topic;
      this.subFilter[slot] = filters[k];
      this.subQos[slot] = request.qos ?? 0;
      this.subHandler[slot] = request.onMessage ?? null;
      this.subState[slot] = SubState.ToSend;
    });
  }

  /** Unsubscribes from topic filters given exactly as they were subscribed (sent now if connected). */
  unsubscribe(topics: readonly string[]): void {
    for (const topic of topics) {
      const slot = this.findSubscription(topic);
      if (slot < 0) continue;
      this.subState[slot] = this.state === ClientState.Connected || !this.options.clean ? SubState.ToRemove : SubState.Free;
      this.subHandler[slot] = null;
    }
  }

  private findSubscription(topic: string): number {
    for (let i = 0; i < this.subState.length; i++) {
      if (this.subState[i] !== SubState.Free && this.subTopic[i] === topic) return i;
    }
    return -1;
  }

  // ---- Output ----------------------------------------------------------------------------------------

  /** Bytes ready to write now, at outputBuffer()[outputOffset() ...]. 0: nothing to send. */
  outputLength(): number {
    if (this.source === Source.None) this.pick();
    if (this.source === Source.Control) return this.control.readable();
    if (this.source === Source.Record) return this.sendLength - this.sendSent;
    return 0;
  }

  outputBuffer(): Uint8Array {
    return this.source === Source.Record ? this.session.outbox.ring.buffer : this.control.buffer;
  }

  outputOffset(): number {
    // From the record being written, not a saved start: a publish may move the outbox's bytes (compaction).
    if (this.source === Source.Record) return this.session.outbox.offset[this.sendRecord] + this.sendDone;
    return this.control.head;
  }

  /** `count` bytes of the output went to the transport. */
  written(count: number, now: number): void {
    if (count <= 0) return;
    this.lastSentAt = now;
    if (this.source === Source.Control) {
      this.control.consume(count);
      if (this.control.readable() === 0) {
        this.source = Source.None;
        if (this.ending) {
          // DISCONNECT is out: close [MQTT-3.14.4-1], and stop.
          this.lost(now, DisconnectReason.Normal);
          this.state = ClientState.Stopped;
          return;
        }
        if (this.recycle) {
          this.fail(now, DisconnectReason.ReceiveMaximumExceeded);
          return;
        }
      }
      // Packets that waited for room for their answer (PUBACK, PUBREC, PUBCOMP) can go on now.
      if (this.rx.readable() > 0) this.process(now);
      return;
    }
    if (this.source !== Source.Record) return;
    this.sendSent += count;
    const outbox = this.session.outbox;
    let left = count;
    for (;;) {
      const record = this.sendRecord;
      const need = outbox.length[record] - this.sendDone;
      if (left < need) {
        this.sendDone += left;
        return;
      }
      left -= need;
      this.sendDone = 0;
      if (outbox.state[record] === RecordState.Sending) {
        this.stats.sent++;
        if (outbox.qos[record] === 0) outbox.remove(record);
        else outbox.state[record] = RecordState.Sent;
      }
      if (record === this.sendLast) {
        this.source = Source.None;
        return;
      }
      this.sendRecord = outbox.after(record);
    }
  }

  /** Chooses what to send next, a whole packet at a time: control packets first, then the outbox in order. */
  private pick(): void {
    if (this.control.readable() > 0) {
      this.source = Source.Control;
      return;
    }
    if (this.state !== ClientState.Connected || this.ending) return;
    if (this.queueSubscriptions()) {
      this.source = Source.Control;
      return;
    }
    const outbox = this.session.outbox;
    const k = outbox.next();
    if (k < 0) return;
    const record = outbox.at(k);
    const state = outbox.state[record];
    if (state === RecordState.Released) {
      // [MQTT-4.4.0-1] a QoS 2 publish past PUBREC: PUBREL again, in its place in the order.
      const at = this.control.reserve(ACK_SIZE);
      if (at < 0) return;
      this.control.commit(encodeAck(this.control.buffer, at, PacketType.Pubrel, outbox.packetId[record], V4) - at);
      outbox.resend[record] = 0;
      this.stats.resent++;
      this.source = Source.Control;
      return;
    }
    let last = record;
    if (state === RecordState.Sent) {
      // [MQTT-4.4.0-1] unacknowledged PUBLISH again, DUP set [MQTT-3.3.1-1], same packet id.
      markDuplicate(outbox.ring.buffer, outbox.offset[record]);
      outbox.resend[record] = 0;
      this.stats.resent++;
    } else {
      if (!this.startSending(record)) return; // the window is full: wait for an ack
      // Queued records that follow, bytes adjoining, go in the same write: one socket write (one TCP
      // segment with nodelay) for a burst of publishes, not one each.
      let end = outbox.offset[record] + outbox.length[record];
      for (let j = k + 1; j < outbox.span; j++) {
        const next = outbox.at(j);
        if (outbox.state[next] !== RecordState.Queued || outbox.offset[next] !== end || !this.startSending(next)) break;
        end += outbox.length[next];
        last = next;
      }
    }
    this.source = Source.Record;
    this.sendRecord = record;
    this.sendLast = last;
    this.sendDone = 0;
    this.sendLength = outbox.offset[last] + outbox.length[last] - outbox.offset[record];
    this.sendSent = 0;
  }

  /** A Queued record starts going out, if the in-flight window has room for it. */
  private startSending(record: number): boolean {
    const outbox = this.session.outbox;
    if (outbox.qos[record] > 0) {
      if (outbox.inflight >= this.options.inflight) return false;
      outbox.inflight++;
    }
    outbox.state[record] = RecordState.Sending;
    return true;
  }

  /** Encodes one SUBSCRIBE or UNSUBSCRIBE for the table's waiting entries into the control buffer. */
  private queueSubscriptions(): boolean {
    return this.queueTable(SubState.ToSend, SubState.Pending) || this.queueTable(SubState.ToRemove, SubState.Removing);
  }

  private queueTable(from: SubState, to: SubState): boolean {
    const states = this.subState;
    let count = 0;
    for (let i = 0; i < states.length; i++) {
      if (states[i] !== from) continue;
      this.scratchFilters[count] = this.subFilter[i];
      this.scratchQos[count] = this.subQos[i] as QoS;
      this.scratchIndex[count++] = i;
    }
    if (count === 0) return false;
    const subscribing = from === SubState.ToSend;
    // Fit as many as the control buffer takes in one packet.
    while (count > 0 && (subscribing ? subscribeSize(this.scratchFilters, count, V4) : unsubscribeSize(this.scratchFilters, count, V4)) > this.control.writable()) count--;
    if (count === 0) return false;
    const packetId = this.session.nextPacketId();
    if (packetId === 0 || !this.session.addPending(packetId)) return false;
    const size = subscribing ? subscribeSize(this.scratchFilters, count, V4) : unsubscribeSize(this.scratchFilters, count, V4);
    const at = this.control.reserve(size);
    const end = subscribing
      ? encodeSubscribe(this.control.buffer, at, packetId, this.scratchFilters, this.scratchQos, count)
      : encodeUnsubscribe(this.control.buffer, at, packetId, this.scratchFilters, count);
    this.control.commit(end - at);
    for (let k = 0; k < count; k++) {
      states[this.scratchIndex[k]] = to;
      (subscribing ? this.subPacketId : this.unsubPacketId)[this.scratchIndex[k]] = packetId;
    }
    return true;
  }

  // ---- Input -----------------------------------------------------------------------------------------

  /** The receive buffer: a transport may read into inputBuffer() at inputOffset(), up to inputSpace() bytes, then call received(). */
  inputBuffer(): Uint8Array {
    return this.rx.buffer;
  }

  inputOffset(): number {
    return this.rx.tail;
  }

  /** Contiguous bytes free at inputOffset() (the receive buffer is compacted first if that frees more). */
  inputSpace(): number {
    const rx = this.rx;
    if (rx.tail === rx.capacity && rx.head > 0) rx.compact();
    return rx.capacity - rx.tail;
  }

  /** `count` bytes were written at inputOffset(): decode and handle every whole packet. */
  received(count: number, now: number): void {
    this.rx.commit(count);
    this.process(now);
  }

  /** Copies received bytes in and handles them; returns how many were taken (fewer when the buffer is full). */
  receive(src: Uint8Array, offset: number, length: number, now: number): number {
    let taken = 0;
    while (taken < length) {
      if (this.state !== ClientState.Connecting && this.state !== ClientState.Connected) return length; // nothing to read them for
      const space = this.inputSpace();
      if (space === 0) break;
      const n = space < length - taken ? space : length - taken;
      const buf = this.rx.buffer;
      const at = this.rx.tail;
      for (let i = 0; i < n; i++) buf[at + i] = src[offset + taken + i];
      taken += n;
      this.received(n, now);
    }
    return taken;
  }

  private process(now: number): void {
    const rx = this.rx;
    const frame = this.frame;
    while (this.state === ClientState.Connecting || this.state === ClientState.Connected) {
      const length = frame.read(rx.buffer, rx.head, rx.tail);
      if (length === 0) return;
      if (length < 0) return this.protocolError(now, length);
      const status = decodePacket(rx.buffer, frame, this.packet, V4);
      if (status < 0) return this.protocolError(now, status);
      if (!this.handle(now)) return; // no room for the answer yet: the packet waits in the buffer
      rx.consume(length);
    }
  }

  /** Handles the decoded packet; false if it must wait for room in the control buffer. */
  private handle(now: number): boolean {
    const p = this.packet;
    if (this.state === ClientState.Connecting) {
      // [MQTT-3.2.0-1] the broker's first packet is CONNACK.
      if (p.type !== PacketType.Connack) return this.fail(now, DisconnectReason.ProtocolError);
      return this.connack(now);
    }
    const outbox = this.session.outbox;
    switch (p.type) {
      case PacketType.Publish:
        return this.inboundPublish();
      case PacketType.Puback: {
        const record = outbox.find(p.packetId);
        if (record < 0 || outbox.qos[record] !== 1 || outbox.state[record] !== RecordState.Sent) return this.fail(now, DisconnectReason.ProtocolError);
        return this.complete(record, now);
      }
      case PacketType.Pubrec: {
        const record = outbox.find(p.packetId);
        if (record < 0 || outbox.qos[record] !== 2 || outbox.state[record] < RecordState.Sent) return this.fail(now, DisconnectReason.ProtocolError);
        // [MQTT-4.3.3-1] answer PUBREC with PUBREL (again, if PUBREC came again).
        const at = this.control.reserve(ACK_SIZE);
        if (at < 0) return false;
        this.control.commit(encodeAck(this.control.buffer, at, PacketType.Pubrel, p.packetId, V4) - at);
        outbox.state[record] = RecordState.Released;
        return true;
      }
      case PacketType.Pubcomp: {
        const record = outbox.find(p.packetId);
        if (record < 0 || outbox.qos[record] !== 2 || outbox.state[record] !== RecordState.Released) return this.fail(now, DisconnectReason.ProtocolError);
        return this.complete(record, now);
      }
      case PacketType.Pubrel: {
        // [MQTT-4.3.3-2] release the id and answer PUBCOMP, also for an id we no longer hold (our PUBCOMP was lost).
        const at = this.control.reserve(ACK_SIZE);
        if (at < 0) return false;
        this.session.removeInbound(p.packetId);
        this.control.commit(encodeAck(this.control.buffer, at, PacketType.Pubcomp, p.packetId, V4) - at);
        // Every id held is released and some PUBLISH were left unacknowledged: once this PUBCOMP is out,
        // reconnect, and the broker sends them again (with clean: false; a clean session loses them, as any
        // disconnect does).
        if (this.deferred > 0 && this.session.inboundCount === 0) this.recycle = true;
        return true;
      }
      case PacketType.Suback:
        return this.suback(now);
      case PacketType.Unsuback: {
        // [MQTT-3.11.2-1] the id of an UNSUBSCRIBE we sent: not a SUBSCRIBE's, not one unknown.
        let removed = 0;
        for (let i = 0; i < this.subState.length; i++) {
          if (this.subState[i] === SubState.Removing && this.unsubPacketId[i] === p.packetId) removed++;
        }
        if (removed === 0 || !this.session.removePending(p.packetId)) return this.fail(now, DisconnectReason.ProtocolError);
        for (let i = 0; i < this.subState.length; i++) {
          if (this.subState[i] === SubState.Removing && this.unsubPacketId[i] === p.packetId) {
            this.subState[i] = SubState.Free;
            this.subPacketId[i] = 0;
          }
        }
        return true;
      }
      case PacketType.Pingresp:
        this.pingSentAt = -1;
        return true;
      default:
        // A second CONNACK [MQTT-3.2.0-1 allows one], or anything else a client does not expect.
        return this.fail(now, DisconnectReason.ProtocolError);
    }
  }

  private connack(now: number): boolean {
    const p = this.packet;
    if (p.returnCode !== 0) {
      const reason = refusalReason(p.returnCode);
      this.error(reason);
      this.lost(now, reason);
      // Refused for who we are: retrying at once would be refused again. Wait the longest delay.
      if (this.state === ClientState.Waiting && (p.returnCode === 1 || p.returnCode === 2 || p.returnCode === 4 || p.returnCode === 5)) {
        this.nextAttemptAt = now + this.options.reconnectPeriodMax;
      }
      return false;
    }
    // [MQTT-3.2.2-1] with Clean Session 1 the broker must report no session.
    if (p.sessionPresent && this.options.clean) return this.fail(now, DisconnectReason.ProtocolError);
    this.state = ClientState.Connected;
    this.connectedAt = now;
    this.stats.connects++;
    if (!p.sessionPresent) this.sessionLost();
    this.call1(this.callbacks.onConnected, p.sessionPresent);
    return true;
  }

  /** The broker has no session for us: the unfinished QoS 1 publishes go out as new, subscriptions again. */
  private sessionLost(): void {
    this.session.resetInbound();
    const outbox = this.session.outbox;
    // By slot, not by age: remove() moves the oldest end, which would shift an age index.
    for (let i = 0; i < outbox.slots; i++) {
      const state = outbox.state[i];
      if (state === RecordState.Sent) {
        outbox.state[i] = RecordState.Queued;
        outbox.inflight--;
        outbox.ring.buffer[outbox.offset[i]] &= ~0x08; // not a duplicate for this session
      } else if (state === RecordState.Released) {
        // Past PUBREC the broker had taken it on: it was delivered. Nothing to send again.
        outbox.remove(i);
        this.stats.acked++;
        this.call1(this.callbacks.onAcked, outbox.packetId[i]);
      }
      outbox.resend[i] = 0;
    }
    for (let i = 0; i < this.subState.length; i++) {
      const state = this.subState[i];
      if (state === SubState.Pending || state === SubState.Active) this.subState[i] = SubState.ToSend;
      else if (state === SubState.ToRemove || state === SubState.Removing) this.subState[i] = SubState.Free;
    }
  }

  private inboundPublish(): boolean {
    const p = this.packet;
    if (p.qos > 0 && this.control.writable() < ACK_SIZE) return false;
    if (p.qos === 2) {
      // [MQTT-4.3.3-2] exactly once: deliver on the first PUBLISH of an id, not on its resends.
      if (!this.session.hasInbound(p.packetId)) {
        if (!this.session.addInbound(p.packetId)) {
          // The table is full. Neither deliver nor acknowledge: the broker keeps the message and sends
          // it again after a reconnect, which we ask for once the table has drained (see Pubrel).
          this.deferred++;
          this.stats.inboundDeferred++;
          return true;
        }
        this.deliver();
      }
    } else this.deliver();
    if (p.qos > 0) {
      // QoS 1: PUBACK after delivery [MQTT-4.3.2-2]; QoS 2: PUBREC [MQTT-4.3.3-2].
      const at = this.control.reserve(ACK_SIZE);
      this.control.commit(encodeAck(this.control.buffer, at, p.qos === 1 ? PacketType.Puback : PacketType.Pubrec, p.packetId, V4) - at);
    }
    return true;
  }

  /** Hands the message to the first subscription whose filter matches and has a handler, else to onMessage. */
  private deliver(): void {
    const p = this.packet;
    const m = this.message;
    m.buffer = p.buffer;
    m.topicOffset = p.topicOffset;
    m.topicLength = p.topicLength;
    m.payloadOffset = p.payloadOffset;
    m.payloadLength = p.payloadLength;
    m.qos = p.qos;
    m.retain = p.retain;
    m.dup = p.dup;
    m.packetId = p.packetId;
    this.stats.received++;
    const states = this.subState;
    for (let i = 0; i < states.length; i++) {
      const handler = this.subHandler[i];
      if (handler === null || states[i] === SubState.Free) continue;
      const filter = this.subFilter[i];
      if (m.matches(filter)) {
        this.call1(handler, m);
        return;
      }
    }
    this.call1(this.callbacks.onMessage, m);
  }

  private suback(now: number): boolean {
    const p = this.packet;
    const states = this.subState;
    // The filters this SUBSCRIBE carried, including any the app unsubscribed from since it went.
    let filters = 0;
    for (let i = 0; i < states.length; i++) if (states[i] !== SubState.Free && this.subPacketId[i] === p.packetId) filters++;
    if (filters === 0 || !this.session.removePending(p.packetId)) return this.fail(now, DisconnectReason.ProtocolError);
    if (filters !== p.returnCodesCount) return this.fail(now, DisconnectReason.ProtocolError); // [MQTT-3.9.3-1] one code per filter
    let k = 0;
    for (let i = 0; i < states.length; i++) {
      if (states[i] === SubState.Free || this.subPacketId[i] !== p.packetId) continue;
      const code = p.buffer[p.returnCodesOffset + k++];
      this.subPacketId[i] = 0;
      if (states[i] === SubState.Pending) states[i] = SubState.Active;
      const onSubscribed = this.callbacks.onSubscribed;
      if (onSubscribed) {
        try {
          onSubscribed(this.subTopic[i], code);
        } catch {
          this.error(ClientError.HandlerThrew);
        }
      }
    }
    return true;
  }

  /** A QoS 1/2 publish is done. */
  private complete(record: number, now: number): boolean {
    const outbox = this.session.outbox;
    const packetId = outbox.packetId[record];
    // An ack for the PUBLISH still being (re)sent: the broker acknowledges bytes it has not had.
    if (this.source === Source.Record && this.sendRecord === record) return this.fail(now, DisconnectReason.ProtocolError);
    outbox.remove(record);
    this.stats.acked++;
    this.call1(this.callbacks.onAcked, packetId);
    return true;
  }

  // ---- Connection loss and reconnect ------------------------------------------------------------------

  private protocolError(now: number, decodeError: number): void {
    this.fail(now, reasonCodeOf(decodeError));
  }

  /** Closes the connection for a broker's fault; returns false so input handling stops. */
  private fail(now: number, reason: number): boolean {
    this.error(reason);
    this.lost(now, reason);
    return false;
  }

  /** The connection is gone: keep what the session needs, plan the next attempt, tell the app. */
  private lost(now: number, reason: number): void {
    const wasConnected = this.state === ClientState.Connected;
    const hadTransport = this.state === ClientState.Opening || this.state === ClientState.Connecting || wasConnected;
    this.lastReason = reason;
    this.wantsClose = hadTransport;
    this.deferred = 0;
    this.recycle = false;
    if (this.source === Source.Record) this.unsend();
    this.rx.clear();
    this.control.clear();
    this.source = Source.None;
    this.pingSentAt = -1;
    const outbox = this.session.outbox;
    for (let i = 0; i < outbox.slots; i++) {
      const state = outbox.state[i];
      if (state === RecordState.Sending) {
        if (outbox.qos[i] === 0) {
          outbox.remove(i); // QoS 0 cut off mid-write: at most once, so it is lost
          this.stats.dropped++;
          continue;
        }
        outbox.state[i] = RecordState.Sent;
      }
      if (outbox.state[i] === RecordState.Sent || outbox.state[i] === RecordState.Released) outbox.resend[i] = 1;
    }
    for (let i = 0; i < this.subState.length; i++) {
      this.subPacketId[i] = 0; // no SUBACK comes for a SUBSCRIBE of a connection that is gone
      if (this.subState[i] === SubState.Pending) this.subState[i] = SubState.ToSend;
      else if (this.subState[i] === SubState.Removing) this.subState[i] = SubState.ToRemove;
    }
    this.session.pendingCount = 0;
    if (wasConnected && now - this.connectedAt >= this.options.stableAfter) this.attempts = 0;
    if (this.ending || this.options.reconnectPeriod === 0) this.state = ClientState.Stopped;
    else {
      this.state = ClientState.Waiting;
      this.nextAttemptAt = now + this.backoff();
    }
    if (hadTransport) this.call1(this.callbacks.onDisconnected, reason);
  }

  /** The connection went mid-run: the run's records not yet started are Queued again, as if never picked. */
  private unsend(): void {
    const outbox = this.session.outbox;
    let record = this.sendRecord;
    if (this.sendDone > 0) {
      if (record === this.sendLast) return;
      record = outbox.after(record); // this one was cut off mid-write: lost() settles it
    }
    for (;;) {
      if (outbox.state[record] === RecordState.Sending) {
        outbox.state[record] = RecordState.Queued;
        if (outbox.qos[record] > 0) outbox.inflight--;
      }
      if (record === this.sendLast) return;
      record = outbox.after(record);
    }
  }

  /** Exponential backoff with jitter: a delay in [d/2, d), d = reconnectPeriod * 2^attempts, capped. */
  private backoff(): number {
    const o = this.options;
    let delay = o.reconnectPeriod;
    for (let i = 0; i < this.attempts && delay < o.reconnectPeriodMax; i++) delay *= 2;
    if (delay > o.reconnectPeriodMax) delay = o.reconnectPeriodMax;
    this.attempts++;
    return Math.floor(delay / 2 + this.random() * (delay / 2));
  }

  // ---- Callbacks ---------------------------------------------------------------------------------------

  private error(code: number): void {
    const onError = this.callbacks.onError;
    if (!onError) return;
    try {
      onError(code);
    } catch {
      // an app's error handler that throws has nothing left to tell
    }
  }

  /** Calls an app callback with one argument; a throw is reported, never passed up into the transport. */
  private call1<T>(callback: ((value: T) => void) | null | undefined, value: T): void {
    if (!callback) return;
    try {
      callback(value);
    } catch {
      this.error(ClientError.HandlerThrew);
    }
  }
}

/** CONNACK refusal codes (§3.2.2.3) as DisconnectReasons. */
function refusalReason(returnCode: number): number {
  switch (returnCode) {
    case 1: return DisconnectReason.UnsupportedProtocolVersion;
    case 2: return DisconnectReason.ClientIdentifierNotValid;
    case 3: return DisconnectReason.ServerUnavailable;
    case 4: return DisconnectReason.BadUserNameOrPassword;
    default: return DisconnectReason.NotAuthorized;
  }
}

/**
 * UTF-8 bytes of a topic name given as a string, or -1 if it is not a valid name: empty [MQTT-4.7.3-1],
 * a wildcard [MQTT-3.3.2-2], U+0000 [MQTT-4.7.3-2], a lone surrogate [MQTT-1.5.3-1], or over 65,535 bytes.
 */
function topicNameLength(topic: string): number {
  const length = utf8Length(topic);
  if (length <= 0 || length > MAX_STRING_LENGTH) return -1;
  for (let i = 0; ; i++) {
    const c = charCodeAt.call(topic, i);
    if (c !== c) return length; // NaN: the end
    if (c === 0x2b || c === 0x23 || c === 0) return -1;
  }
}

const charCodeAt = String.prototype.charCodeAt;

/** Turns the app's options into CONNECT's fields, as UTF-8 bytes, once. */
function connectFields(options: ClientOptions): ConnectFields {
  const bytes = (text: string | Uint8Array, what: string): Uint8Array => {
    if (text instanceof Uint8Array) return text;
    if (typeof text !== "string") throw new TypeError(`${what} must be a string or a Uint8Array`);
    const length = utf8Length(text);
    if (length < 0) throw new TypeError(`${what} is not valid UTF-8 (a lone surrogate) [MQTT-1.5.3-1]`);
    const out = new Uint8Array(length);
    writeUtf8(out, 0, text);
    return out;
  };
  const will = options.will;
  let willFields: ConnectFields["will"] = null;
  if (will) {
    const topic = bytes(will.topic, "will.topic");
    const invalid = validateTopicName(topic, 0, topic.length);
    if (invalid !== 0) throw new TypeError(`will.topic ${JSON.stringify(will.topic)} is not a valid topic name [§4.7]`);
    willFields = { topic, payload: bytes(will.payload, "will.payload"), qos: will.qos ?? 0, retain: will.retain ?? false };
  }
  return {
    clientId: bytes(options.clientId, "clientId"),
    keepalive: options.keepalive ?? 60,
    clean: options.clean ?? true,
    will: willFields,
    username: options.username === undefined ? null : bytes(options.username, "username"),
    password: options.password === undefined ? null : bytes(options.password, "password"),
  };
}
