/**
 * The MQTT 3.1.1 and 5.0 client as a sans-IO state machine: it never touches a socket or a timer. A transport
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
 *   poll(now)             timers (CONNACK timeout, keepalive, ack timeout, reconnect); returns the next deadline
 *
 * This class wires the parts, each the one owner of its state (lifecycle, keepalive, backoff, input,
 * output, outbound, inbound, subscriptions), and routes packets between them. All memory is allocated in
 * the constructor from the options; after that, publishing, receiving, acking, keeping alive and
 * reconnecting allocate nothing on XS (test/xs/suites/client.xs.ts proves it). The packets received go to
 * their parts through router.ts; this class owns the calls, the timers and the loss of a connection.
 */
import { ProtocolVersion, type QoS } from "../codec/packet.js";
import { utf8Bytes } from "../codec/wire.js";
import { SocketMemory } from "../codec/socket-memory.js";
import { connectSize, encodeConnect, validateConnect, type ConnectFields } from "../codec/packets/connect.js";
import { AckQueue } from "./acks.js";
import { Authentication } from "./auth.js";
import { Backoff } from "./backoff.js";
import { Expiry } from "./expiry.js";
import { ClientError, DisconnectReason } from "./errors.js";
import { AppEvents } from "./events.js";
import { connectFields, connectProperties } from "./handshake.js";
import { Inbound } from "./inbound.js";
import { Input } from "./input.js";
import { Keepalive } from "./keepalive.js";
import { ClientState, Lifecycle } from "./lifecycle.js";
import { MessageView } from "./message.js";
import { Property } from "../codec/properties.js";
import { resolveOptions, socketStageOf, type ClientOptions, type OutboxStoreHook, type ResolvedOptions } from "./options.js";
import { DirectPublish } from "./direct-publish.js";
import { Outbound } from "./outbound.js";
import { Outbox } from "./outbox.js";
import type { PublishProperties } from "./publish-properties.js";
import { ACK_WRITTEN, DISCONNECT_WRITTEN, Mode, Output, STAGING_BYTES } from "./output.js";
import { Router } from "./router.js";
import { ServerLimits } from "./server-limits.js";
import { TopicAliases } from "./topic-aliases.js";
import { OutgoingAliases } from "./outgoing-aliases.js";
import { PacketIds } from "./session.js";
import { ClientStats } from "./stats.js";
import { Subscriptions, type SubscribeRequest } from "./subscriptions.js";
import { TopicHandle } from "./topic-handle.js";

export class MqttClient {
  /** The options with every default filled in (frozen). */
  readonly options: Readonly<ResolvedOptions>;
  /** Counters of what the client did (read-only to the app: the parts count into #stats). */
  readonly stats: Readonly<ClientStats>;
  readonly #stats = new ClientStats();
  /** CONNECT's fields as bytes, made once; #private, so a printed client does not show the credentials. */
  #connect: ConnectFields;
  #connectSize: number;
  private readonly life = new Lifecycle();
  private readonly events: AppEvents;
  private readonly keepalive: Keepalive;
  private readonly backoff: Backoff;
  private readonly input: Input;
  private readonly output: Output;
  private readonly outbox: Outbox;
  private readonly outbound: Outbound;
  /** publish()'s QoS 0 path without an outbox record. */
  private readonly direct: DirectPublish;
  private readonly inbound: Inbound;
  private readonly subscriptions: Subscriptions;
  private readonly router: Router;
  private readonly version: ProtocolVersion;
  /** 5.0: what the server's last CONNACK allows (3.1.1: the defaults, no limits). */
  private readonly limits = new ServerLimits();
  private readonly expiry: Expiry;
  private readonly auth: Authentication;
  /** The flash store, if the options gave one. */
  readonly #store: OutboxStoreHook | undefined;
  /**
   * The receive and transmit buffers in one ArrayBuffer, with a stage: a transport reads and writes the
   * socket through it without a new view per call (net/connection.ts).
   */
  readonly memory: SocketMemory;

  /**
   * Makes the client and all its memory, sized from the options; start() begins connecting.
   * @param options - MQTT.js's names for the protocol settings, the sizes, the reconnect plan, the callbacks
   * @throws TypeError or RangeError that names the bad option (client id, will, credentials, a size or setting)
   */
  constructor(options: ClientOptions) {
    this.#connect = connectFields(options);
    const invalid = validateConnect(this.#connect);
    if (invalid !== null) throw new TypeError(invalid);
    // The CONNECT properties need the sizes, and the control buffer's default needs CONNECT's size.
    const first = resolveOptions(options, 0);
    const version = (this.version = first.protocolVersion === 5 ? ProtocolVersion.V5 : ProtocolVersion.V311);
    if (version === ProtocolVersion.V5) this.#connect.properties = connectProperties(options, first);
    this.#connectSize = connectSize(this.#connect, version);
    const o = (this.options = Object.freeze(resolveOptions(options, this.#connectSize)));
    this.stats = this.#stats;
    this.events = new AppEvents(options);
    this.keepalive = new Keepalive(o.keepalive * 1000, o.pingTimeout);
    this.backoff = new Backoff(o.reconnectPeriod, o.reconnectPeriodMax, options.random ?? Math.random);
    // Every buffer a transport reads into or writes from, and the stage it hands the socket (socket-memory.ts).
    const memory = (this.memory = new SocketMemory(o.receiveBufferSize + o.transmitBufferSize + o.controlBufferSize + STAGING_BYTES, Math.min(socketStageOf(options), Math.max(o.receiveBufferSize, o.transmitBufferSize, o.controlBufferSize))));
    this.input = new Input(o.receiveBufferSize, o.maxPacketSize, version, memory.region(o.receiveBufferSize));
    const acks = new AckQueue();
    // With a store (firmware/mqtt/store) the outbox is its StoredOutbox, loaded back from flash.
    const store = options.store;
    const outboxBytes = memory.region(o.transmitBufferSize);
    this.outbox = store === undefined ? new Outbox(o.transmitBufferSize, o.queueSlots, outboxBytes) : store.attach(o.transmitBufferSize, o.queueSlots, o.inflight, o.protocolVersion, outboxBytes);
    this.subscriptions = new Subscriptions(o.subscriptions, o.controlBufferSize, this.events, version);
    const ids = new PacketIds(this.outbox, this.subscriptions);
    this.expiry = new Expiry(this.outbox, this.events, this.#stats);
    const method = version === ProtocolVersion.V5 ? options.properties?.authenticationMethod : undefined;
    this.auth = new Authentication(method === undefined ? null : utf8Bytes(method), this.events);
    const outgoing = new OutgoingAliases(version === ProtocolVersion.V5 ? o.topicAliases : 0, o.queueSlots);
    this.outbound = new Outbound(this.outbox, ids, acks, this.events, this.#stats, o, this.limits, this.expiry, outgoing);
    this.inbound = new Inbound(acks, this.subscriptions, this.events, this.#stats, new MessageView(this.input.packet.properties), version === ProtocolVersion.V5 ? o.receiveMaximum : 65_535);
    const inbound = this.inbound;
    this.output = new Output(o.controlBufferSize, acks, this.keepalive, this.subscriptions, this.outbound, this.outbox, ids.next.bind(ids), inbound.released.bind(inbound), version, this.auth, memory.region(o.controlBufferSize), memory.region(STAGING_BYTES));
    // A store writes a record per message, and 5.0's outgoing aliases are chosen per record: no direct path.
    this.direct = new DirectPublish(this.outbox, this.output, this.limits, this.#stats, version === ProtocolVersion.V5, store === undefined && outgoing.capacity === 0);
    // Bound methods, not arrows: no closure over the constructor's scope (a bound function is 8 slots, an arrow 11 and its scope).
    const lose = this.lost.bind(this);
    const aliases = new TopicAliases(version === ProtocolVersion.V5 ? o.topicAliasMaximum : 0, o.maxPacketSize);
    this.router = new Router(this.life, this.input, this.output, this.keepalive, inbound, this.outbound, this.subscriptions, this.events, this.#stats, o, this.limits, this.auth, aliases, lose);
    if (store !== undefined) {
      // What the store loaded back resumes as after a lost connection: ids go on from the newest, the
      // in-flight messages go again with DUP and their PUBRELs again [MQTT-4.4.0-1].
      this.#store = store;
      ids.resume(store.lastPacketId);
      this.outbound.connectionLost();
    }
  }

  /** The connection's state (a ClientState). */
  get state(): ClientState {
    return this.life.state;
  }

  /** The transport should be closed (then call closed()). */
  get wantsClose(): boolean {
    return this.life.wantsClose;
  }

  /** Why the last connection ended (a DisconnectReason). */
  get lastReason(): number {
    return this.life.lastReason;
  }

  /**
   * 5.0: the Reason String the broker gave with its last CONNACK, DISCONNECT, ack or AUTH that carried one
   * (words for a human, beside the reason code), or "".
   */
  get reasonString(): string {
    return this.router.reasonText();
  }

  /** While waiting to reconnect (ClientState.Waiting): when the next attempt is due, on the clock poll() is given; otherwise -1. */
  get nextAttemptAt(): number {
    return this.life.state === ClientState.Waiting ? this.life.nextAttemptAt : -1;
  }

  /**
   * Encodes a topic name once, for publish() on a hot path.
   * @param name - a topic name (no wildcards, 1-65,535 UTF-8 bytes)
   * @returns a handle publish() takes without encoding or allocating
   * @throws ClientArgumentError (InvalidTopic) for an invalid name
   */
  topic(name: string): TopicHandle {
    return new TopicHandle(name);
  }

  // ---- Lifecycle -------------------------------------------------------------------------------------

  /**
   * Starts connecting: the first attempt is due at once.
   * @param now - the transport's clock, milliseconds that never go back
   */
  start(now: number): void {
    this.#store?.started(now);
    this.expiry.clock = now;
    this.life.start(now);
  }

  /**
   * Ends the session from our side: what is owed goes, then DISCONNECT if connected (the broker then
   * drops the will), then the transport closes and the client stops. Nothing else is sent or read after
   * it. Queued messages stay in the outbox for the next start().
   * @param now - the transport's clock
   */
  end(now: number): void {
    const life = this.life;
    if (life.state === ClientState.Stopped) return;
    life.ending = true;
    if (life.state === ClientState.Connected) {
      this.output.seal();
      this.keepalive.pingOwed = false;
      life.connectDeadline = now + this.options.pingTimeout; // DISCONNECT's: a socket that never drains does not hold the end
      return; // written() finishes the close once DISCONNECT is out
    }
    this.lost(now, DisconnectReason.Normal);
  }

  /**
   * Whether to open a connection now: true once per attempt; then call opened() or closed().
   * @param now - the transport's clock
   * @returns true when the transport should open a connection now
   */
  shouldOpen(now: number): boolean {
    return this.life.shouldOpen(now, this.options.connectTimeout);
  }

  /**
   * The transport is open: CONNECT goes first [MQTT-3.1.0-1].
   * @param now - the transport's clock
   */
  opened(now: number): void {
    const life = this.life;
    if (life.state !== ClientState.Opening) return;
    life.state = ClientState.Connecting;
    this.input.clear();
    this.auth.reset();
    const output = this.output;
    output.reset();
    output.mode = Mode.Connecting;
    const control = output.control;
    this.adoptAssignedClientId();
    const at = control.reserve(this.#connectSize);
    control.commit(encodeConnect(control.buffer, at, this.#connect, this.version) - at);
    this.keepalive.reset(now);
  }

  /**
   * 5.0: a CONNECT with an empty client id that the server gave one to (Assigned Client Identifier) uses it
   * from then on, so a session it keeps can be resumed (§3.2.2.3.7). Only if it fits the control buffer.
   */
  private adoptAssignedClientId(): void {
    const assigned = this.router.assignedClientId;
    if (assigned === null || this.#connect.clientId.length !== 0) return;
    this.router.assignedClientId = null;
    const fields = { ...this.#connect, clientId: assigned };
    const size = connectSize(fields, this.version);
    if (size > this.options.controlBufferSize) return;
    this.#connect = fields;
    this.#connectSize = size;
  }

  /**
   * The transport closed or failed to open.
   * @param now - the transport's clock
   * @param reason - why, a DisconnectReason (default ConnectionLost), reported through onDisconnected
   */
  closed(now: number, reason: number = DisconnectReason.ConnectionLost): void {
    if (this.life.hasTransport()) this.lost(now, reason);
    this.life.wantsClose = false; // the transport is gone: nothing left to close
  }

  /**
   * Runs the timers: CONNACK timeout, keepalive (may queue PINGREQ), ack timeout, reconnect.
   * @param now - the transport's clock
   * @returns the time poll() should next be called at (Infinity: only after I/O)
   */
  poll(now: number): number {
    const expiry = this.expiry;
    if (this.outbox.expiring > 0) this.output.unpick(); // a message shown and not taken is queued again: it may expire
    expiry.expire(now); // 5.0: messages whose Message Expiry Interval ran out before they went
    const expiresAt = expiry.deadline();
    const next = this.deadline(now);
    return expiresAt < next ? expiresAt : next;
  }

  private deadline(now: number): number {
    const life = this.life;
    switch (life.state) {
      case ClientState.Waiting:
        return life.nextAttemptAt;
      case ClientState.Opening:
      case ClientState.Connecting:
        if (now < life.connectDeadline) return life.connectDeadline;
        this.lost(now, DisconnectReason.ConnectTimeout);
        return this.nextDeadline();
      case ClientState.Connected: {
        if (life.ending) {
          if (now < life.connectDeadline) return life.connectDeadline;
          this.lost(now, DisconnectReason.Normal); // DISCONNECT did not go in time: close all the same
          return Infinity;
        }
        const keepalive = this.keepalive;
        if (keepalive.expired(now)) {
          this.lost(now, DisconnectReason.KeepAliveTimeout);
          return this.nextDeadline();
        }
        const ackDeadline = this.outbound.ackDeadline();
        if (now >= ackDeadline) {
          this.lost(now, DisconnectReason.AckTimeout);
          return this.nextDeadline();
        }
        keepalive.check(now);
        const deadline = keepalive.deadline();
        return deadline < ackDeadline ? deadline : ackDeadline;
      }
      default:
        return Infinity;
    }
  }

  /** After a loss: the next attempt's time, or Infinity when stopped. */
  private nextDeadline(): number {
    return this.life.state === ClientState.Waiting ? this.life.nextAttemptAt : Infinity;
  }

  // ---- Publishing and subscribing ----------------------------------------------------------------------

  /**
   * Queues a PUBLISH. `topic` is a TopicHandle (fast, allocation-free) or a string (checked and encoded on
   * every call); `payload` is bytes (its [offset, offset + length) part; length -1: to the end) or a
   * string (UTF-8). Every argument is checked (types, integers, ranges) and nothing is thrown.
   * @param topic - a TopicHandle from topic(), or a topic name
   * @param payload - bytes or a string
   * @param qos - 0, 1 or 2 (default 0)
   * @param retain - the broker keeps the message for later subscribers (default false)
   * @param offset - the payload's first byte, when bytes (default 0)
   * @param length - the payload's byte count from offset, -1 for all (default -1)
   * @param properties - 5.0 only: Payload Format Indicator, Message Expiry Interval (counted down while
   *   queued), Content Type, Response Topic, Correlation Data, User Properties
   * @returns the packet id (QoS 1/2), 0 (QoS 0), or a negative ClientError code (errorMessage has its words)
   */
  publish(topic: TopicHandle | string, payload: Uint8Array | string, qos: QoS = 0, retain = false, offset = 0, length = -1, properties?: PublishProperties): number {
    if (this.life.ending) return ClientError.Ended; // before start() is fine: the message waits in the outbox
    const output = this.output;
    if (output.source !== 0) output.unpick(); // a run the transport was shown and did not begin holds no message back
    if (qos === 0 && properties === undefined && this.direct.publish(topic, payload, retain, offset, length) === 0) return 0;
    return this.outbound.publish(topic, payload, qos, retain, offset, length, properties);
  }

  /**
   * 5.0 enhanced authentication: starts a re-authentication on the live connection (AUTH, Re-authenticate
   * 0x19, §4.12.1) with the method given in properties.authenticationMethod; the server's answers reach
   * onAuth, a failure ends the connection with its reason.
   * @param data - the Authentication Data to send (e.g. a fresh token), or none
   * @returns 0, or ClientError.InvalidArgument (not 5.0, no method, not connected, data not bytes)
   */
  reauthenticate(data?: Uint8Array): number {
    if (this.life.state !== ClientState.Connected) return ClientError.InvalidArgument;
    const r = this.auth.request(0x19, data ?? null);
    if (r === 0) this.output.unpick();
    return r;
  }

  /**
   * 5.0 request/response (§4.10): answers a request message on its Response Topic, with its Correlation
   * Data, so the requester can match the answer. Call it from the message's handler (the view is valid
   * only then). Allocates (the topic's string, the data's copy): not for a hot path.
   * @param request - the request, as the handler got it
   * @param payload - the answer
   * @param qos - 0, 1 or 2 (default 0)
   * @returns what publish() returns, or ClientError.InvalidArgument when the request has no Response Topic
   */
  respond(request: MessageView, payload: Uint8Array | string, qos: QoS = 0): number {
    const p = request.properties;
    const topic = p.string(Property.ResponseTopic);
    if (topic === undefined) return ClientError.InvalidArgument;
    const at = p.dataOffset(Property.CorrelationData);
    const correlationData = at < 0 ? undefined : p.buffer.slice(at, at + p.dataLength(Property.CorrelationData));
    return this.publish(topic, payload, qos, false, 0, -1, correlationData === undefined ? undefined : { correlationData });
  }

  /**
   * Messages in the outbox.
   * @returns how many are queued or in flight
   */
  queuedCount(): number {
    return this.outbox.live + this.output.directCount(); // and a QoS 0 PUBLISH going without a record
  }

  /**
   * QoS 1/2 messages in flight: sent (or being sent) and not yet acknowledged. At most `inflight`, and in
   * 5.0 at most the server's Receive Maximum.
   * @returns how many
   */
  inflightCount(): number {
    return this.outbox.inflight;
  }

  /**
   * Subscribes to one or more topic filters (sent now if connected, else on connect; again after any
   * connect without a session). Throws a ClientArgumentError with a ClientError code for a bad request
   * (InvalidArgument, InvalidTopic, InvalidQoS, SubscriptionTooLarge, SubscriptionsFull), changing
   * nothing: subscribing is set-up, not a hot path.
   * @param requests - each a filter, its QoS (default 0) and an optional handler for its messages
   * @throws ClientArgumentError with a ClientError code
   */
  subscribe(requests: readonly SubscribeRequest[]): void {
    this.output.unpick();
    this.subscriptions.subscribe(requests);
  }

  /**
   * Unsubscribes from topic filters given exactly as they were subscribed (sent now if connected).
   * @param topics - the filters
   * @throws ClientArgumentError (InvalidArgument, InvalidTopic) for a bad filter
   */
  unsubscribe(topics: readonly string[]): void {
    this.output.unpick();
    this.subscriptions.unsubscribe(topics, this.life.state === ClientState.Connected || !this.options.clean);
  }

  // ---- Output ----------------------------------------------------------------------------------------

  /**
   * Bytes ready to write now.
   * @returns how many, at outputBuffer()[outputOffset() ...]; 0: nothing to send
   */
  outputLength(): number {
    return this.output.length();
  }

  /** @returns the buffer the output is in (see outputLength) */
  outputBuffer(): Uint8Array {
    return this.output.buffer();
  }

  /** @returns where in outputBuffer() the bytes to write start */
  outputOffset(): number {
    return this.output.offset();
  }

  /**
   * Some of the output went to the transport.
   * @param count - bytes written, 0 < count <= outputLength()
   * @param now - the transport's clock
   */
  written(count: number, now: number): void {
    if (!(count > 0) || (count | 0) !== count) return;
    const output = this.output;
    this.keepalive.lastSent = now;
    this.expiry.clock = now;
    const done = output.written(count, now);
    if (done !== 0) {
      if ((done & DISCONNECT_WRITTEN) !== 0) {
        this.lost(now, DisconnectReason.Normal); // DISCONNECT is out: close [MQTT-3.14.4-1], and stop
        return;
      }
      // A response left: packets that waited for room for theirs can go on now.
      if ((done & ACK_WRITTEN) !== 0 && this.input.waiting()) {
        output.unpick(); // nothing is chosen now; what process() queues is asked for again
        this.router.process(now);
      }
    }
  }

  // ---- Input -----------------------------------------------------------------------------------------

  /**
   * The receive buffer: a transport may read into inputBuffer() at inputOffset(), up to inputSpace() bytes, then call received().
   * @returns the buffer
   */
  inputBuffer(): Uint8Array {
    return this.input.rx.buffer;
  }

  /** @returns where in inputBuffer() the next received bytes go */
  inputOffset(): number {
    return this.input.rx.tail;
  }

  /**
   * Room for received bytes (the receive buffer is compacted first if that frees more).
   * @returns contiguous bytes free at inputOffset()
   */
  inputSpace(): number {
    return this.input.space();
  }

  /**
   * Bytes were written at inputOffset(): decodes and handles every whole packet.
   * @param count - how many, at most inputSpace()
   * @param now - the transport's clock
   */
  received(count: number, now: number): void {
    if (!(count > 0) || (count | 0) !== count || !this.life.reading()) return;
    this.input.rx.commit(count);
    this.keepalive.lastReceived = now;
    this.expiry.clock = now;
    this.output.unpick(); // an ack may be for a message the transport was shown and did not begin again
    this.router.process(now);
  }

  /**
   * Copies received bytes in and handles them.
   * @param src - the bytes
   * @param offset - the first byte in src
   * @param length - how many
   * @param now - the transport's clock
   * @returns how many were taken (fewer when the receive buffer is full: offer the rest later)
   */
  receive(src: Uint8Array, offset: number, length: number, now: number): number {
    let taken = 0;
    while (taken < length) {
      if (!this.life.reading()) return length; // nothing to read them for
      const space = this.input.space();
      if (space === 0) break;
      const n = space < length - taken ? space : length - taken;
      const buf = this.input.rx.buffer;
      const at = this.input.rx.tail;
      // A whole array in one set() (XS meters it at 2 computrons a byte; a loop in script costs about 32).
      if (offset + taken === 0 && n === src.length) buf.set(src, at);
      else for (let i = 0; i < n; i++) buf[at + i] = src[offset + taken + i];
      taken += n;
      this.received(n, now);
    }
    return taken;
  }

  // ---- Connection loss and reconnect ------------------------------------------------------------------

  /**
   * The connection is gone: keep what the session needs, plan the next attempt, then tell the app (onError
   * first when `report`), once all is consistent: a callback may call back into the client. `holdOff`:
   * the next attempt waits reconnectPeriodMax.
   */
  private lost(now: number, reason: number, report = false, holdOff = false): void {
    const life = this.life;
    const wasConnected = life.state === ClientState.Connected;
    const hadTransport = life.hasTransport();
    this.output.reset(); // first: a run's records not begun go back to Queued
    this.input.clear();
    this.outbound.connectionLost();
    this.subscriptions.connectionLost();
    this.keepalive.pingresp();
    if (wasConnected && now - life.connectedAt >= this.options.stableAfter) this.backoff.reset();
    let delay = -1; // no next attempt
    if (!life.ending && this.options.reconnectPeriod !== 0) {
      delay = this.backoff.next(); // a refusal counts as an attempt too: the delays after it keep growing
      if (holdOff) delay = this.options.reconnectPeriodMax; // refused for who we are: the longest wait
    }
    life.lost(now, reason, delay);
    if (report) this.events.error(reason);
    if (hadTransport) this.events.disconnected(reason);
  }
}
