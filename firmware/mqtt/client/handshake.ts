/**
 * The handshake (§3.1, §3.2): CONNECT's fields from the app's options, made once as UTF-8 bytes, and the
 * verdict on CONNACK.
 */
import type { ConnectFields } from "../codec/packets/connect.js";
import { Property, writeDataProperty, writeU16Property, writeU32Property, writeUserProperty } from "../codec/properties.js";
import { validateTopicName } from "../codec/topic.js";
import { utf8Bytes } from "../codec/wire.js";
import { refusedForWhoWeAre as refusedByReason } from "../codec/reasons.js";
import { DisconnectReason } from "./errors.js";
import type { ClientOptions, ResolvedOptions } from "./options.js";

/** CONNECT's fields as UTF-8 bytes, from the options; throws a TypeError naming a wrong one. */
export function connectFields(options: ClientOptions): ConnectFields {
  const bytes = (text: string | Uint8Array, what: string): Uint8Array => {
    if (text instanceof Uint8Array) return text;
    if (typeof text !== "string") throw new TypeError(`${what} must be a string or a Uint8Array`);
    const out = utf8Bytes(text);
    if (out === null) throw new TypeError(`${what} is not valid UTF-8 (a lone surrogate) [MQTT-1.5.3-1]`);
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

/**
 * 5.0: the CONNECT properties (§3.1.2.11), made once: Session Expiry Interval (when not 0), Receive
 * Maximum (when not the default 65,535), Maximum Packet Size (ours, so the broker never sends what we
 * cannot hold [MQTT-3.1.2-24]), Topic Alias Maximum (when not 0) and the app's User Properties.
 * Allocates: for set-up.
 */
export function connectProperties(options: ClientOptions, resolved: ResolvedOptions): Uint8Array {
  const pairs: Uint8Array[] = [];
  const user = options.properties?.userProperties ?? {};
  if (typeof user !== "object" || user === null) throw new TypeError("properties.userProperties must be an object of strings");
  for (const key of Object.keys(user)) {
    const value = user[key];
    if (typeof value !== "string") throw new TypeError(`properties.userProperties.${key} must be a string`);
    const k = utf8Bytes(key);
    const v = utf8Bytes(value);
    if (k === null || v === null) throw new TypeError(`properties.userProperties.${key} is not valid UTF-8 [MQTT-1.5.4-1]`);
    pairs.push(k, v);
  }
  const method = options.properties?.authenticationMethod;
  const data = options.properties?.authenticationData;
  if (method !== undefined && (typeof method !== "string" || method.length === 0)) throw new TypeError("properties.authenticationMethod must be a non-empty string");
  if (data !== undefined && (!(data instanceof Uint8Array) || method === undefined)) throw new TypeError("properties.authenticationData must be a Uint8Array, with an authenticationMethod [MQTT-3.1.2-... §3.1.2.11.10]");
  const methodBytes = method === undefined ? null : utf8Bytes(method);
  if (method !== undefined && methodBytes === null) throw new TypeError("properties.authenticationMethod is not valid UTF-8 [MQTT-1.5.4-1]");
  let size = 5 + 3 + 5 + 3 + (methodBytes === null ? 0 : 3 + methodBytes.length) + (data === undefined ? 0 : 3 + data.length);
  for (const bytes of pairs) size += 2 + bytes.length + 1;
  const buf = new Uint8Array(size);
  let off = 0;
  if (resolved.sessionExpiryInterval !== 0) off = writeU32Property(buf, off, Property.SessionExpiryInterval, resolved.sessionExpiryInterval);
  if (resolved.receiveMaximum !== 65_535) off = writeU16Property(buf, off, Property.ReceiveMaximum, resolved.receiveMaximum);
  off = writeU32Property(buf, off, Property.MaximumPacketSize, resolved.maxPacketSize);
  if (resolved.topicAliasMaximum > 0) off = writeU16Property(buf, off, Property.TopicAliasMaximum, resolved.topicAliasMaximum);
  for (let i = 0; i < pairs.length; i += 2) off = writeUserProperty(buf, off, pairs[i], pairs[i + 1]);
  if (methodBytes !== null) off = writeDataProperty(buf, off, Property.AuthenticationMethod, methodBytes);
  if (data !== undefined) off = writeDataProperty(buf, off, Property.AuthenticationData, data);
  return buf.slice(0, off);
}

/** A CONNACK refusal's return code (§3.2.2.3; a 5.0 reason code is one already) as the DisconnectReason the app is told. */
export function refusalReason(returnCode: number): number {
  if (returnCode >= 0x80) return returnCode;
  switch (returnCode) {
    case 1: return DisconnectReason.UnsupportedProtocolVersion;
    case 2: return DisconnectReason.ClientIdentifierNotValid;
    case 3: return DisconnectReason.ServerUnavailable;
    case 4: return DisconnectReason.BadUserNameOrPassword;
    default: return DisconnectReason.NotAuthorized;
  }
}

/** Refused for who we are (not for the server's load): trying again at once would be refused again. */
export function refusedForWhoWeAre(returnCode: number): boolean {
  return returnCode >= 0x80 ? refusedByReason(returnCode) : returnCode !== 3;
}
