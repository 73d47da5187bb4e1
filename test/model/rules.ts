/**
 * The reference model's vocabulary: the codes it predicts, the options it takes, the broker packets the
 * harness makes, and the rules of topics and sizes written from the spec (§4.7, §2.2.3), apart from the
 * client's codec. This module runs on XS: no Node APIs.
 */

import type { ResolvedOptions } from "../../firmware/mqtt/index.js";

export const ACK_QUEUE = 64;

/** A subscription handler throws on a message whose payload is this many characters: onError(HandlerThrew) follows, and the client carries on. */
export const THROWING_PAYLOAD = 7;

// The codes are written out here, not imported: they are the documented contract (README, errors.ts), and
// a renumbering in the client is a change the model must see.

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
  /** 5.0: above the server's Maximum QoS, no retain where it has none, larger than its Maximum Packet Size. */
  QoSNotSupported = -115,
  RetainNotSupported = -116,
  PacketTooLargeForServer = -117,
  /** 5.0: a queued message whose Message Expiry Interval ran out before it went. */
  MessageExpired = -118,
}

export const enum R {
  Normal = 0,
  Malformed = 0x81,
  ProtocolError = 0x82,
  KeepAliveTimeout = 0x8d,
  ReceiveMaximumExceeded = 0x93,
  TopicAliasInvalid = 0x94,
  ConnectionLost = 0x100,
  ConnectTimeout = 0x101,
  AckTimeout = 0x102,
  /** 5.0: the broker's DISCONNECT with reason 0x00. */
  ServerDisconnected = 0x103,
}

/**
 * What the server's last successful 5.0 CONNACK allows (§3.2.2.3), the spec's defaults for what it left
 * out; 3.1.1 keeps the defaults. The client holds itself to them from that CONNACK until the next one.
 */
export interface Limits {
  receiveMaximum: number;
  maximumQoS: number;
  retainAvailable: boolean;
  maximumPacketSize: number;
  /** Seconds, or -1: ours stands. */
  serverKeepAlive: number;
  /** The aliases we may use towards the server (0: none, the default). */
  topicAliasMaximum: number;
}

export function defaultLimits(): Limits {
  return { receiveMaximum: 65535, maximumQoS: 2, retainAvailable: true, maximumPacketSize: 268435460, serverKeepAlive: -1, topicAliasMaximum: 0 };
}

/** 5.0 CONNACK refusals (§3.2.2.2) after which trying again at once would be refused again: the next attempt waits reconnectPeriodMax. */
export function refusedForWhoWeAre5(code: number): boolean {
  return [0x88, 0x89, 0x97, 0x9f, 0x9c, 0x9d].indexOf(code) < 0;
}

/** 5.0 server DISCONNECT reasons about us (not authorized, server busy, session taken over, quota, connection rate): the longest wait. */
export function disconnectHoldsOff(code: number): boolean {
  return [0x87, 0x89, 0x8a, 0x8e, 0x97, 0x9f].indexOf(code) >= 0;
}

/** The client's options with every default filled in, the client id, and the model's one documented limit. */
export type ModelOptions = ResolvedOptions & {
  clientId: string;
  /** SUBSCRIBE/UNSUBSCRIBE requests the client keeps outstanding at once (a documented limit). */
  maxRequests: number;
};

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
  /** PUBLISH written whole as a first send (DUP 0); PUBLISH (DUP 1) and PUBREL written again on a resumed session. */
  sent: number;
  resent: number;
  received: number;
  oversized: number;
  connects: number;
  /** 5.0: acks with a reason code of 0x80 and up (PUBACK, PUBREC, PUBCOMP): the broker refused the message. */
  rejected: number;
  /** 5.0: queued messages whose Message Expiry Interval ran out (dropped, onError(MessageExpired)). */
  expired: number;
}

/** A broker packet as the harness made it (the model reads these fields, not bytes). */
export type BrokerFrame =
  | { kind: "connack"; sessionPresent: boolean; returnCode: number; limits?: Limits }
  | { kind: "publish"; topic: string; payload: string; qos: number; retain: boolean; dup: boolean; id: number; oversized: boolean; alias?: number }
  | { kind: "puback" | "pubrec" | "pubcomp"; id: number; reason?: number }
  | { kind: "pubrel" | "unsuback"; id: number }
  | { kind: "disconnect"; reason: number }
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

/** A PUBLISH's bytes; 5.0 (`v5`) adds the property length and `props` bytes of properties. */
export function publishSize(topic: string, payloadBytes: number, qos: number, v5 = false, props = 0): number {
  const remaining = 2 + utf8LengthOf(topic) + (qos > 0 ? 2 : 0) + (v5 ? varintSize(props) + props : 0) + payloadBytes;
  return 1 + varintSize(remaining) + remaining;
}

export function subscribeSize(filter: string, v5 = false): number {
  const remaining = 2 + 2 + utf8LengthOf(filter) + 1 + (v5 ? 1 : 0);
  return 1 + varintSize(remaining) + remaining;
}

function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}
