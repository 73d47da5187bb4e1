/**
 * One filter of a subscribe() call, checked: its UTF-8 bytes, where matching starts in them (after a
 * shared subscription's `$share/{ShareName}/`, §4.8.2), and in 5.0 its Subscription Options byte
 * (§3.8.3.1) and Subscription Identifier (§3.8.2.1.2). Set-up, not a hot path: it allocates the bytes.
 */
import { ProtocolVersion, type QoS } from "../codec/packet.js";
import { subscribeSize, SubscriptionOption } from "../codec/packets/subscribe.js";
import { validateTopicFilter } from "../codec/topic.js";
import { utf8Bytes } from "../codec/wire.js";
import { ClientArgumentError, ClientError } from "./errors.js";
import type { MessageView } from "./message.js";

/** One filter of a subscribe() call. */
export interface SubscribeRequest {
  /** A topic filter; `$share/{ShareName}/{filter}` is a shared subscription (§4.8.2). */
  topic: string;
  qos?: QoS;
  /** Called for messages that match this filter (the first matching subscription with a handler gets it). */
  onMessage?: (message: MessageView) => void;
  /** 5.0: the broker does not send us our own messages on this filter (not allowed on a shared one [MQTT-3.8.3-4]). */
  noLocal?: boolean;
  /** 5.0: messages keep the RETAIN flag they were published with. */
  retainAsPublished?: boolean;
  /** 5.0: retained messages on subscribing: 0 always (default), 1 only if the subscription is new, 2 never. */
  retainHandling?: 0 | 1 | 2;
  /** 5.0: 1..268,435,455, carried by the messages this subscription matches (message.properties). */
  subscriptionIdentifier?: number;
}

export interface CheckedRequest {
  bytes: Uint8Array;
  /** Where the filter to match starts in `bytes`: 0, or after `$share/{ShareName}/`. */
  matchFrom: number;
  /** The byte sent after the filter: the QoS (3.1.1), or the QoS and the 5.0 options. */
  options: number;
  /** 0: none. */
  subscriptionIdentifier: number;
}

const SHARE = "$share/";

/** Checks one request; throws a ClientArgumentError with its code and words. */
export function checkRequest(r: SubscribeRequest | null, version: ProtocolVersion, controlCapacity: number): CheckedRequest {
  if (typeof r !== "object" || r === null || typeof r.topic !== "string") throw new ClientArgumentError(ClientError.InvalidTopic, "subscribe: a request's topic must be a string");
  const topic = r.topic;
  const qos = r.qos ?? 0;
  if (!(qos === 0 || qos === 1 || qos === 2)) throw new ClientArgumentError(ClientError.InvalidQoS, `subscribe ${topic}: qos must be 0, 1 or 2`);
  if (r.onMessage !== undefined && typeof r.onMessage !== "function") throw new ClientArgumentError(ClientError.InvalidArgument, `subscribe ${topic}: onMessage must be a function`);
  const bytes = utf8Bytes(topic);
  if (bytes === null) throw new ClientArgumentError(ClientError.InvalidTopic, `topic filter ${JSON.stringify(topic)} is not valid UTF-8 [MQTT-1.5.3-1]`);
  const invalid = validateTopicFilter(bytes, 0, bytes.length);
  if (invalid !== 0) throw new ClientArgumentError(ClientError.InvalidTopic, `topic filter ${JSON.stringify(topic)} is not valid (${invalid}) [§4.7.1]`);
  let matchFrom = 0;
  if (topic.startsWith(SHARE)) {
    // [MQTT-4.8.2-1] a ShareName of at least one character, no "/", "+" or "#"; [MQTT-4.8.2-2] then "/" and a filter
    const slash = topic.indexOf("/", SHARE.length);
    const name = slash < 0 ? "" : topic.slice(SHARE.length, slash);
    if (name.length === 0 || name.includes("+") || name.includes("#") || slash === topic.length - 1) {
      throw new ClientArgumentError(ClientError.InvalidTopic, `shared subscription ${JSON.stringify(topic)}: $share/{ShareName}/{filter}, the name without / + # [MQTT-4.8.2-1] [MQTT-4.8.2-2]`);
    }
    matchFrom = utf8Bytes(topic.slice(0, slash + 1))!.length;
  }
  // A filter that does not fit one SUBSCRIBE in the control buffer could never be sent.
  if (subscribeSize([bytes], 1, version, 5) > controlCapacity) {
    throw new ClientArgumentError(ClientError.SubscriptionTooLarge, `topic filter of ${bytes.length} bytes: a SUBSCRIBE for it would not fit the control buffer (${controlCapacity} bytes)`);
  }
  let options: number = qos;
  let subscriptionIdentifier = 0;
  const v5only = r.noLocal !== undefined || r.retainAsPublished !== undefined || r.retainHandling !== undefined || r.subscriptionIdentifier !== undefined;
  if (v5only && version !== ProtocolVersion.V5) {
    throw new ClientArgumentError(ClientError.InvalidArgument, `subscribe ${topic}: noLocal, retainAsPublished, retainHandling and subscriptionIdentifier are MQTT 5.0's (protocolVersion: 5)`);
  }
  if (r.noLocal !== undefined && typeof r.noLocal !== "boolean") throw new ClientArgumentError(ClientError.InvalidArgument, `subscribe ${topic}: noLocal must be true or false`);
  if (r.retainAsPublished !== undefined && typeof r.retainAsPublished !== "boolean") throw new ClientArgumentError(ClientError.InvalidArgument, `subscribe ${topic}: retainAsPublished must be true or false`);
  const handling = r.retainHandling ?? 0;
  if (!(handling === 0 || handling === 1 || handling === 2)) throw new ClientArgumentError(ClientError.InvalidArgument, `subscribe ${topic}: retainHandling must be 0, 1 or 2 [MQTT-3.8.3-... Retain Handling 3 is a Protocol Error]`);
  if (r.noLocal === true) {
    if (matchFrom > 0) throw new ClientArgumentError(ClientError.InvalidArgument, `subscribe ${topic}: noLocal on a shared subscription is a Protocol Error [MQTT-3.8.3-4]`);
    options |= SubscriptionOption.NoLocal;
  }
  if (r.retainAsPublished === true) options |= SubscriptionOption.RetainAsPublished;
  options |= handling << 4;
  if (r.subscriptionIdentifier !== undefined) {
    const id = r.subscriptionIdentifier;
    if (typeof id !== "number" || (id | 0) !== id || id < 1 || id > 268_435_455) {
      throw new ClientArgumentError(ClientError.InvalidArgument, `subscribe ${topic}: subscriptionIdentifier is 1 to 268435455 [§3.8.2.1.2]`);
    }
    subscriptionIdentifier = id;
  }
  return { bytes, matchFrom, options, subscriptionIdentifier };
}
