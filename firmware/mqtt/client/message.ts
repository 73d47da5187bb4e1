/**
 * The view of an incoming message the client hands to the app: one object, reused for every message,
 * pointing into the receive buffer. It is valid only during the handler call. The compare and copy
 * helpers allocate nothing; the ones that return strings allocate and say so.
 */
import type { QoS } from "../codec/packet.js";
import { Properties } from "../codec/properties.js";
import { topicMatches } from "../codec/topic.js";
import { decodeUtf8 } from "../codec/wire.js";

export { decodeUtf8 } from "../codec/wire.js";
import { ClientError } from "./errors.js";

const charCodeAt = String.prototype.charCodeAt;
/** Every view's buffer until its first message: one for all (nothing can be written into 0 bytes). */
const NO_BYTES = new Uint8Array(0);

export class MessageView {
  /** The receive buffer; the payload is a span of it, and the topic too unless it came by alias. */
  buffer: Uint8Array = NO_BYTES;
  /** The buffer the topic is a span of: `buffer`, or (5.0) the client's table of the broker's Topic Aliases. */
  topicBuffer: Uint8Array = this.buffer;
  topicOffset = 0;
  topicLength = 0;
  payloadOffset = 0;
  payloadLength = 0;
  qos: QoS = 0;
  retain = false;
  dup = false;
  /** 0 for QoS 0. */
  packetId = 0;
  /**
   * 5.0: the message's properties (Message Expiry Interval, Content Type, Response Topic, Correlation
   * Data, User Properties, Subscription Identifiers), read in place like the payload; empty in 3.1.1.
   */
  properties: Properties;

  /**
   * @param properties - what `properties` is until the first message: the client passes its received
   * packet's, which every delivery points it at anyway (no Properties of its own: 30 slots)
   */
  constructor(properties: Properties = new Properties()) {
    this.properties = properties;
  }

  /**
   * Whether the topic is exactly these bytes.
   * @param bytes - UTF-8 bytes (a TopicHandle's `bytes`)
   * @returns true when equal
   */
  topicEquals(bytes: Uint8Array): boolean {
    const length = bytes.length;
    if (length !== this.topicLength) return false;
    const buffer = this.topicBuffer;
    const at = this.topicOffset;
    for (let i = 0; i < length; i++) if (buffer[at + i] !== bytes[i]) return false;
    return true;
  }

  /**
   * Whether the topic is exactly this ASCII string; walks it without allocating.
   * @param text - an ASCII topic name
   * @returns true when equal
   */
  topicIs(text: string): boolean {
    const buffer = this.topicBuffer;
    const at = this.topicOffset;
    for (let i = 0; i < this.topicLength; i++) if (buffer[at + i] !== charCodeAt.call(text, i)) return false;
    return charCodeAt.call(text, this.topicLength) !== charCodeAt.call(text, this.topicLength); // NaN: the string ended too
  }

  /**
   * Whether the topic matches a topic filter (§4.7: `+` one level, `#` the rest).
   * @param filter - the filter as UTF-8 bytes
   * @returns true when it matches
   */
  matches(filter: Uint8Array): boolean {
    return topicMatches(filter, 0, filter.length, this.topicBuffer, this.topicOffset, this.topicLength);
  }

  /**
   * One payload byte.
   * @param index - 0 to payloadLength - 1
   * @returns the byte (undefined outside the payload's range is the caller's error)
   */
  payloadByte(index: number): number {
    return this.buffer[this.payloadOffset + index];
  }

  /**
   * Copies the payload into `target` at `offset`; returns the bytes copied (at most what fits), or
   * InvalidArgument (negative) for a target that is not a Uint8Array or an offset that is not a whole
   * number from 0 to target.length.
   * @param target - where to copy
   * @param offset - where in target (default 0)
   * @returns bytes copied, or ClientError.InvalidArgument
   */
  copyPayload(target: Uint8Array, offset = 0): number {
    return this.copy(this.payloadOffset, this.payloadLength, target, offset);
  }

  /**
   * Copies the topic's bytes into `target` at `offset`, as copyPayload() does.
   * @param target - where to copy
   * @param offset - where in target (default 0)
   * @returns bytes copied, or ClientError.InvalidArgument
   */
  copyTopic(target: Uint8Array, offset = 0): number {
    return this.copy(this.topicOffset, this.topicLength, target, offset);
  }

  private copy(from: number, count: number, target: Uint8Array, offset: number): number {
    if (!(target instanceof Uint8Array) || !(offset >= 0 && offset <= target.length) || Math.floor(offset) !== offset) return ClientError.InvalidArgument;
    const length = Math.min(count, target.length - offset);
    const buffer = this.buffer;
    for (let i = 0; i < length; i++) target[offset + i] = buffer[from + i];
    return length;
  }

  /**
   * The topic as a string. Allocates: for logs and set-up, not for a hot path.
   * @returns the topic name
   */
  topicString(): string {
    return decodeUtf8(this.topicBuffer, this.topicOffset, this.topicLength);
  }

  /**
   * The payload as a string, decoded as UTF-8. Allocates: for logs and set-up, not for a hot path.
   * @returns the text (malformed bytes become U+FFFD)
   */
  payloadString(): string {
    return decodeUtf8(this.buffer, this.payloadOffset, this.payloadLength);
  }
}

