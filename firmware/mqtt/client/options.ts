/**
 * The client's options: MQTT.js's names for the protocol settings, the sizes that fix the client's
 * memory, the reconnect plan, and the Moddable-style callbacks. Checked once, in the constructor.
 */
import type { QoS } from "../codec/packet.js";
import type { Properties } from "../codec/properties.js";
import { ACK_QUEUE } from "./acks.js";
import type { MessageView } from "./message.js";
import type { Outbox } from "./outbox.js";

/**
 * What the client asks of a flash store (firmware/mqtt/store: OutboxStore): the outbox, with what the
 * flash held loaded back; the id of the newest message loaded; the clock once start() gives it.
 */
export interface OutboxStoreHook {
  attach(capacity: number, slots: number, inflight: number, protocolVersion: 4 | 5, storage?: Uint8Array): Outbox;
  readonly lastPacketId: number;
  started(now: number): void;
}

/** What the app does when a publish finds the outbox (in-flight + offline queue) full. */
export type QueuePolicy = "reject" | "drop-oldest" | "drop-newest";

export interface WillOptions {
  topic: string;
  payload: string | Uint8Array;
  qos?: QoS;
  retain?: boolean;
}

/** MQTT 5.0 CONNECT properties the app may set (§3.1.2.11), with MQTT.js's names. */
export interface ConnectProperties {
  /**
   * Seconds the broker keeps the session after the connection ends (§3.1.2.11.2). Default: 0 with clean
   * true; with clean false, 0xFFFFFFFF (never expires), the 3.1.1 meaning of a kept session.
   */
  sessionExpiryInterval?: number;
  /** QoS 1/2 PUBLISH the broker may have unacknowledged towards us (§3.1.2.11.3). Default 64, the responses the client holds at once. */
  receiveMaximum?: number;
  /**
   * Topic Aliases the broker may use towards us (§3.1.2.11.5). Default 0: none. Each takes maxPacketSize
   * bytes of RAM for its topic.
   */
  topicAliasMaximum?: number;
  /** Name/value pairs sent with CONNECT (§3.1.2.11.8). */
  userProperties?: Record<string, string>;
  /** Enhanced authentication (§4.12): the method's name, e.g. "SCRAM-SHA-1"; the server's AUTH reach onAuth. */
  authenticationMethod?: string;
  /** The method's first data, sent in CONNECT. */
  authenticationData?: Uint8Array;
}

export interface ClientOptions {
  /**
   * 4 (MQTT 3.1.1, the default) or 5 (MQTT 5.0). A 5.0 client announces its Maximum Packet Size
   * (maxPacketSize) and Receive Maximum, and holds itself to the limits in the broker's CONNACK.
   */
  protocolVersion?: 4 | 5;
  /** 5.0 only: CONNECT properties. */
  properties?: ConnectProperties;
  /**
   * 5.0: Topic Aliases we use towards the broker for topics published through a TopicHandle (at most the
   * broker's Topic Alias Maximum): the alias alone replaces the topic once set. Default 0: none.
   */
  topicAliases?: number;
  /** [MQTT-3.1.3-3] 1-23 characters [0-9a-zA-Z] are accepted by every broker; "" asks the broker for one (needs clean). */
  clientId: string;
  /** Seconds between control packets, 0 for none (§3.1.2.10). Default 60. */
  keepalive?: number;
  /** Clean Session (§3.1.2.4). Default true; false keeps the session (subscriptions, QoS 1/2 state) across connections. */
  clean?: boolean;
  will?: WillOptions;
  username?: string;
  password?: string | Uint8Array;

  /** Bytes of the receive buffer. Default 1024. */
  receiveBufferSize?: number;
  /** Largest packet accepted from the broker, fixed header included; at most receiveBufferSize (the default). */
  maxPacketSize?: number;
  /** Bytes for PUBLISH packets waiting to be sent or acknowledged: the offline queue and the in-flight window. Default 4096. */
  transmitBufferSize?: number;
  /** Bytes for CONNECT and for one SUBSCRIBE/UNSUBSCRIBE at a time (acks, PINGREQ and DISCONNECT take none of it). Default: the CONNECT's size + 256. */
  controlBufferSize?: number;
  /** QoS 1/2 PUBLISH sent and not yet acknowledged, at most. Default 8. */
  inflight?: number;
  /** PUBLISH held at once, queued and in flight. Default 32. */
  queueSlots?: number;
  /** Subscriptions held. Default 8. */
  subscriptions?: number;
  /** What a publish does when the outbox is full. Default "reject". */
  queuePolicy?: QueuePolicy;
  /**
   * When a connection starts a new session (clean: true, or the broker kept none), QoS 1/2 messages the
   * broker had not acknowledged (QoS 1 without PUBACK, QoS 2 without PUBREC) are sent again as new: at
   * least once across sessions, so the broker may get one twice. false: they are given up and reported
   * through onUnconfirmed. Either way a QoS 2 message past PUBREC is reported through onUnconfirmed (the
   * broker may forward it only on the PUBREL it will never get, §4.3.3, so it may be lost; sending it
   * again could deliver it twice). Default true.
   */
  resendOnNewSession?: boolean;

  /** Milliseconds to wait for the connection and its CONNACK. Default 30,000. */
  connectTimeout?: number;
  /** Milliseconds before the first reconnect attempt; doubles on each failure. 0: never reconnect. Default 1,000. */
  reconnectPeriod?: number;
  /** Cap on the reconnect delay, and the delay after a refusal for credentials or authorization. Default 60,000. */
  reconnectPeriodMax?: number;
  /** Milliseconds a connection must last before the reconnect delay starts again from reconnectPeriod. Default 10,000. */
  stableAfter?: number;
  /** Milliseconds to wait for PINGRESP before the connection is declared dead. Default: keepalive / 2, at most 30,000. */
  pingTimeout?: number;
  /**
   * Milliseconds a QoS 1/2 PUBLISH (or its PUBREL) may wait for its ack before the connection is declared
   * dead (0x102) and made again, where it is sent again [MQTT-4.4.0-1]. 0: no limit. Default 30,000.
   */
  ackTimeout?: number;
  /**
   * Bytes of the stage a transport hands the socket (codec/socket-memory.ts): reads and writes then make no
   * new view per call on XS; 0: no stage (a view per call: cheaper on V8, where resizing an ArrayBuffer costs
   * microseconds; the simulator's connect() uses 0). A socket call moves at most this many bytes. Default 1,536.
   */
  socketStage?: number;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
  /**
   * The outbox on flash (an OutboxStore of mqtt-xs/store): a QoS 1/2 message (QoS 0 too if the store says
   * so) is written to flash before publish() returns its id, its PUBREC and its end are recorded, and after
   * a reset the client resumes: the same ids, DUP and PUBREL if the broker kept the session, else what it
   * never confirmed is sent as new (resendOnNewSession). Not with topicAliases (an alias does not survive
   * a reset). Default: none (the outbox is RAM only).
   */
  store?: OutboxStoreHook;

  /**
   * The broker accepted the connection (CONNACK 0); sessionPresent says whether it kept our session (5.0:
   * one that expired is not present). `properties`: 5.0, the CONNACK's (its User Properties, Response
   * Information, Server Reference, ...), read in place like a message's, valid during the call.
   */
  onConnected?: (sessionPresent: boolean, properties: Properties) => void;
  /** A message that matched no subscription with its own handler. The view is valid during the call only. */
  onMessage?: (message: MessageView) => void;
  /**
   * A QoS 1 (PUBACK) or QoS 2 (PUBCOMP) publish completed. `reasonCode` is 0 in 3.1.1; in 5.0 the ack's
   * reason code: below 0x80 the broker took it (0x10: no matching subscribers), 0x80 and up it refused
   * it (e.g. 0x87 not authorized, 0x97 quota exceeded; errorMessage has the words): it is not retried.
   */
  onAcked?: (packetId: number, reasonCode: number) => void;
  /**
   * A QoS 1/2 publish the client gave up when the broker lost the session (CONNACK session present 0):
   * the broker may or may not have taken it. Never reported as acked. See resendOnNewSession.
   */
  onUnconfirmed?: (packetId: number) => void;
  /** The broker answered a SUBSCRIBE for `topic`: 0, 1, 2 (granted QoS) or 0x80 (refused). */
  onSubscribed?: (topic: string, returnCode: number) => void;
  /** The connection ended; `reason` is a DisconnectReason (MQTT 5 reason codes where MQTT has one). */
  onDisconnected?: (reason: number) => void;
  /**
   * Something went wrong that the app may want to know: a ClientError code (see errorMessage). For
   * HandlerThrew, `thrown` is what the app's handler threw (its message and stack, if an Error).
   */
  onError?: (code: number, thrown?: unknown) => void;
  /**
   * 5.0 enhanced authentication: the server sent AUTH, `reasonCode` 0x18 (continue: return the next data to
   * send) or 0x00 (a re-authentication succeeded); `data` is its Authentication Data (a copy), or null.
   */
  onAuth?: (reasonCode: number, data: Uint8Array | null) => Uint8Array | null | undefined;
}

/** The options with every default filled in. */
export interface ResolvedOptions {
  protocolVersion: 4 | 5;
  /** 5.0: the Session Expiry Interval sent (seconds). */
  sessionExpiryInterval: number;
  /** 5.0: the Receive Maximum announced, enforced on the broker [MQTT-3.3.4-9]. */
  receiveMaximum: number;
  /** 5.0: the Topic Alias Maximum announced (the broker's aliases towards us). */
  topicAliasMaximum: number;
  /** 5.0: our aliases towards the broker, at most. */
  topicAliases: number;
  keepalive: number;
  clean: boolean;
  receiveBufferSize: number;
  maxPacketSize: number;
  transmitBufferSize: number;
  controlBufferSize: number;
  inflight: number;
  queueSlots: number;
  subscriptions: number;
  queuePolicy: QueuePolicy;
  resendOnNewSession: boolean;
  connectTimeout: number;
  reconnectPeriod: number;
  reconnectPeriodMax: number;
  stableAfter: number;
  pingTimeout: number;
  ackTimeout: number;
}

function whole(name: string, value: number, min: number, max: number): number {
  if (typeof value !== "number" || !(value >= min && value <= max) || Math.floor(value) !== value) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
  }
  return value;
}

function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`${name} must be true or false, not ${String(value)}`);
  return value;
}

/** Fills in defaults and checks every number; throws a RangeError or TypeError that names the option. */
export function resolveOptions(options: ClientOptions, connectSize: number): ResolvedOptions {
  if (typeof options.clientId !== "string") throw new TypeError("clientId must be a string");
  const keepalive = whole("keepalive", options.keepalive ?? 60, 0, 65_535);
  const receiveBufferSize = whole("receiveBufferSize", options.receiveBufferSize ?? 1024, 16, 268_435_460);
  const maxPacketSize = whole("maxPacketSize", options.maxPacketSize ?? receiveBufferSize, 16, receiveBufferSize);
  const controlBufferSize = whole("controlBufferSize", options.controlBufferSize ?? connectSize + 256, connectSize, 268_435_460);
  const policy = options.queuePolicy ?? "reject";
  if (policy !== "reject" && policy !== "drop-oldest" && policy !== "drop-newest") {
    throw new TypeError(`queuePolicy must be "reject", "drop-oldest" or "drop-newest", not ${String(policy)}`);
  }
  const reconnectPeriod = whole("reconnectPeriod", options.reconnectPeriod ?? 1000, 0, 86_400_000);
  const protocolVersion = options.protocolVersion ?? 4;
  if (protocolVersion !== 4 && protocolVersion !== 5) throw new RangeError(`protocolVersion must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not ${String(protocolVersion)}`);
  const clean = flag("clean", options.clean, true);
  const store = options.store;
  if (store !== undefined && (store === null || typeof store !== "object" || typeof store.attach !== "function")) throw new TypeError("store must be an OutboxStore (mqtt-xs/store)");
  if (store !== undefined && (options.topicAliases ?? 0) > 0) throw new TypeError("store and topicAliases cannot be used together: a stored PUBLISH keeps its topic (an alias does not survive a reset)");
  const properties = options.properties ?? {};
  if (typeof properties !== "object") throw new TypeError("properties must be an object (MQTT 5.0 CONNECT properties)");
  if (options.properties !== undefined && protocolVersion !== 5) throw new TypeError("properties are MQTT 5.0's: set protocolVersion: 5");
  return {
    protocolVersion,
    sessionExpiryInterval: whole("properties.sessionExpiryInterval", properties.sessionExpiryInterval ?? (clean ? 0 : 0xffff_ffff), 0, 0xffff_ffff),
    receiveMaximum: whole("properties.receiveMaximum", properties.receiveMaximum ?? ACK_QUEUE, 1, 65_535),
    topicAliasMaximum: whole("properties.topicAliasMaximum", properties.topicAliasMaximum ?? 0, 0, 65_535),
    topicAliases: whole("topicAliases", options.topicAliases ?? 0, 0, 65_535),
    keepalive,
    clean,
    receiveBufferSize,
    maxPacketSize,
    transmitBufferSize: whole("transmitBufferSize", options.transmitBufferSize ?? 4096, 16, 268_435_460),
    controlBufferSize,
    inflight: whole("inflight", options.inflight ?? 8, 1, 65_535),
    queueSlots: whole("queueSlots", options.queueSlots ?? 32, 1, 65_535),
    subscriptions: whole("subscriptions", options.subscriptions ?? 8, 0, 65_535),
    queuePolicy: policy,
    resendOnNewSession: flag("resendOnNewSession", options.resendOnNewSession, true),
    connectTimeout: whole("connectTimeout", options.connectTimeout ?? 30_000, 1, 86_400_000),
    reconnectPeriod,
    reconnectPeriodMax: whole("reconnectPeriodMax", options.reconnectPeriodMax ?? 60_000, reconnectPeriod, 86_400_000),
    stableAfter: whole("stableAfter", options.stableAfter ?? 10_000, 0, 86_400_000),
    pingTimeout: whole("pingTimeout", options.pingTimeout ?? Math.min(30_000, Math.max(1000, keepalive * 500)), 1, 86_400_000),
    ackTimeout: whole("ackTimeout", options.ackTimeout ?? 30_000, 0, 86_400_000),
  };
}

/** ClientOptions.socketStage checked, or its default (1,536 bytes). */
export function socketStageOf(options: ClientOptions): number {
  return whole("socketStage", options.socketStage ?? 1536, 0, 268_435_460);
}
