/**
 * The handshake (§3.1, §3.2): CONNECT's fields from the app's options, made once as UTF-8 bytes, and the
 * verdict on CONNACK.
 */
import type { ConnectFields } from "../codec/packets/connect.js";
import { validateTopicName } from "../codec/topic.js";
import { utf8Bytes } from "../codec/wire.js";
import { DisconnectReason } from "./errors.js";
import type { ClientOptions } from "./options.js";

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

/** A CONNACK refusal's return code (§3.2.2.3) as the DisconnectReason the app is told. */
export function refusalReason(returnCode: number): number {
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
  return returnCode !== 3;
}
