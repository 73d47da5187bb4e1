/**
 * Subscriptions: the filters the app asked for (a fixed table), the SUBSCRIBE/UNSUBSCRIBE requests
 * outstanding (each with the filters it carried, found again by its packet id when its SUBACK/UNSUBACK
 * comes [MQTT-3.9.2-1] [MQTT-3.11.2-1], as coreMQTT and rumqttc do), and the dispatch of a message to the
 * first matching subscription that has a handler.
 */
import { PacketType, ProtocolVersion, type IncomingPacket } from "../codec/packet.js";
import { encodeSubscribe, subscribeSize } from "../codec/packets/subscribe.js";
import { encodeUnsubscribe, unsubscribeSize } from "../codec/packets/unsubscribe.js";
import { Property, writeVarintProperty } from "../codec/properties.js";
import type { ByteRing } from "../codec/ring.js";
import { topicMatches } from "../codec/topic.js";
import { ClientArgumentError, ClientError, DisconnectReason } from "./errors.js";
import type { AppEvents } from "./events.js";
import type { MessageView } from "./message.js";
import { checkRequest, type CheckedRequest, type SubscribeRequest } from "./subscribe-request.js";

export type { SubscribeRequest } from "./subscribe-request.js";

/** SUBSCRIBE/UNSUBSCRIBE requests outstanding at once; more wait for an ack. */
export const MAX_REQUESTS = 4;

/** A subscription's state. In this order: ToRemove and Removing last (dispatch() tests `>= ToRemove`). */
const Sub = Object.freeze({
  Free: 0,
  /** To go in the next SUBSCRIBE. */
  ToSend: 1,
  /** In a SUBSCRIBE waiting for its SUBACK. */
  Pending: 2,
  Active: 3,
  /** To go in the next UNSUBSCRIBE. */
  ToRemove: 4,
  /** In an UNSUBSCRIBE waiting for its UNSUBACK. */
  Removing: 5,
} as const);
type Sub = (typeof Sub)[keyof typeof Sub];

type Handler = ((message: MessageView) => void) | null;
const EMPTY = new Uint8Array(0);
/** 5.0's UNSUBSCRIBE carries a property block; ours is empty. */
const NO_PROPERTIES = new Uint8Array(0);

export class Subscriptions {
  private readonly topic: string[];
  private readonly filter: Uint8Array[];
  /** A DataView of each filter, so dispatch() matches it four or eight bytes a step (topic.ts). */
  private readonly filterWords: (DataView | undefined)[];
  /** The receive buffer, and a DataView of it: topic names there are matched in words too. */
  private topicBytes: Uint8Array | null = null;
  private topicWords: DataView | undefined = undefined;
  /** The byte after the filter: QoS, and in 5.0 the Subscription Options (§3.8.3.1). */
  private readonly options: Uint8Array;
  /** 5.0: the Subscription Identifier (0: none); a SUBSCRIBE carries one, so only equal ones share it. */
  private readonly subscriptionId: Int32Array;
  /** Where matching starts in the filter: after a shared subscription's `$share/{ShareName}/` (§4.8.2). */
  private readonly matchFrom: Uint16Array;
  /** 5.0: the server's Maximum Packet Size, from its last CONNACK. */
  maximumPacketSize = 268_435_460;
  /** 5.0: what the server's last CONNACK said it supports (§3.2.2.3.11-13); a subscribe() it would refuse throws. */
  private wildcardAvailable = true;
  private sharedAvailable = true;
  private identifiersAvailable = true;

  /** A CONNACK's limits (5.0). */
  serverAllows(limits: { maximumPacketSize: number; wildcardSubscriptionAvailable: boolean; sharedSubscriptionAvailable: boolean; subscriptionIdentifierAvailable: boolean }): void {
    this.maximumPacketSize = limits.maximumPacketSize;
    this.wildcardAvailable = limits.wildcardSubscriptionAvailable;
    this.sharedAvailable = limits.sharedSubscriptionAvailable;
    this.identifiersAvailable = limits.subscriptionIdentifierAvailable;
  }
  /** A SUBSCRIBE's properties (a Subscription Identifier at most), written per request. */
  private readonly subscribeProperties = new Uint8Array(5);
  private readonly state: Uint8Array;
  /** The packet id of the request that last carried an entry. */
  private readonly req: Uint16Array;
  private readonly handler: Handler[];
  /** Requests, struct of arrays: id (0: free slot), kind, how many filters, and which (slot and topic). */
  private readonly reqId = new Uint16Array(MAX_REQUESTS);
  private readonly reqSubscribe = new Uint8Array(MAX_REQUESTS);
  private readonly reqCount = new Int32Array(MAX_REQUESTS);
  /** The request slot queueNext() filled last. */
  private lastQueued = 0;
  private readonly reqSlot: Int32Array;
  private readonly reqTopic: string[];
  /** Some entry may wait to go (ToSend, ToRemove): set by every change, cleared when none does. */
  changed = false; // read by Output.pick before it calls queueNext
  /** Scratch lists for encoding one request, allocated once. */
  private readonly scratchFilters: Uint8Array[];
  private readonly scratchOptions: Uint8Array;
  private readonly scratchSlot: Int32Array;

  constructor(
    private readonly capacity: number,
    private readonly controlCapacity: number,
    private readonly events: AppEvents,
    private readonly version: ProtocolVersion = ProtocolVersion.V311,
  ) {
    this.topic = new Array<string>(capacity).fill("");
    this.filter = new Array<Uint8Array>(capacity).fill(EMPTY);
    this.filterWords = new Array<DataView | undefined>(capacity).fill(undefined);
    this.options = new Uint8Array(capacity);
    this.subscriptionId = new Int32Array(capacity);
    this.matchFrom = new Uint16Array(capacity);
    this.state = new Uint8Array(capacity);
    this.req = new Uint16Array(capacity);
    this.handler = new Array<Handler>(capacity).fill(null);
    this.reqSlot = new Int32Array(MAX_REQUESTS * capacity);
    this.reqTopic = new Array<string>(MAX_REQUESTS * capacity).fill("");
    this.scratchFilters = new Array<Uint8Array>(capacity).fill(EMPTY);
    this.scratchOptions = new Uint8Array(capacity);
    this.scratchSlot = new Int32Array(capacity);
  }

  /**
   * Adds or replaces subscriptions (sent on the next chance). Checks every request first and throws a
   * ClientArgumentError with its code, changing nothing, if one is wrong.
   */
  subscribe(requests: readonly SubscribeRequest[]): void {
    if (!Array.isArray(requests) || requests.length === 0) throw new ClientArgumentError(ClientError.InvalidArgument, "subscribe needs a list of at least one request [MQTT-3.8.3-3]");
    const checked: CheckedRequest[] = [];
    let fresh = 0;
    for (let k = 0; k < requests.length; k++) {
      const r = requests[k] as SubscribeRequest | null;
      const c = checkRequest(r, this.version, this.controlCapacity);
      // Refused here rather than in a SUBACK (0x9E, 0xA1, 0xA2) when the broker said so [MQTT-3.2.2-... §3.2.2.3.11-13]
      const refused = !this.sharedAvailable && c.matchFrom > 0 ? "shared subscriptions (0x9E)"
        : !this.identifiersAvailable && c.subscriptionIdentifier > 0 ? "subscription identifiers (0xA1)"
        : !this.wildcardAvailable && (c.bytes.indexOf(0x2b) >= 0 || c.bytes.indexOf(0x23) >= 0) ? "wildcard subscriptions (0xA2)"
        : "";
      if (refused !== "") throw new ClientArgumentError(ClientError.InvalidArgument, `subscribe ${r!.topic}: the broker does not support ${refused}`);
      checked.push(c);
      let seen = this.find(r!.topic) >= 0;
      for (let j = 0; j < k && !seen; j++) if (requests[j].topic === r!.topic) seen = true;
      if (!seen) fresh++;
    }
    let free = 0;
    for (let i = 0; i < this.capacity; i++) if (this.state[i] === Sub.Free) free++;
    if (free < fresh) throw new ClientArgumentError(ClientError.SubscriptionsFull, `the subscription table is full (${this.capacity} filters)`);
    for (let k = 0; k < requests.length; k++) {
      const r = requests[k];
      let i = this.find(r.topic);
      if (i < 0) i = this.state.indexOf(Sub.Free);
      const c = checked[k];
      this.topic[i] = r.topic;
      this.filter[i] = c.bytes;
      this.filterWords[i] = new DataView(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength); // matched in words (topic.ts)
      this.options[i] = c.options;
      this.subscriptionId[i] = c.subscriptionIdentifier;
      this.matchFrom[i] = c.matchFrom;
      this.handler[i] = r.onMessage ?? null;
      this.state[i] = Sub.ToSend;
    }
    this.changed = true;
  }

  /**
   * Removes subscriptions given exactly as subscribed: an UNSUBSCRIBE goes when the broker may hold them
   * (connected, or a persistent session); otherwise they are simply forgotten. Unknown filters are ignored.
   */
  unsubscribe(topics: readonly string[], brokerMayHold: boolean): void {
    if (!Array.isArray(topics)) throw new ClientArgumentError(ClientError.InvalidArgument, "unsubscribe needs a list of topic filters");
    for (let k = 0; k < topics.length; k++) if (typeof topics[k] !== "string") throw new ClientArgumentError(ClientError.InvalidTopic, "unsubscribe: a topic filter must be a string");
    for (let k = 0; k < topics.length; k++) {
      const i = this.find(topics[k]);
      if (i < 0) continue;
      this.handler[i] = null;
      this.state[i] = brokerMayHold ? Sub.ToRemove : Sub.Free;
      if (!brokerMayHold) {
        this.filter[i] = EMPTY;
        this.filterWords[i] = undefined;
      }
    }
    this.changed = true;
  }

  private find(topic: string): number {
    for (let i = 0; i < this.capacity; i++) if (this.state[i] !== Sub.Free && this.topic[i] === topic) return i;
    return -1;
  }

  /** Whether an outstanding request holds this packet id. */
  holds(id: number): boolean {
    for (let k = 0; k < MAX_REQUESTS; k++) if (this.reqId[k] === id) return true;
    return false;
  }

  /**
   * Encodes one SUBSCRIBE (or else UNSUBSCRIBE) for the entries waiting, as many as fit the (empty)
   * control buffer, if a request slot is free; `nextId` gives its packet id. False if nothing went in.
   */
  queueNext(control: ByteRing, nextId: () => number): boolean {
    if (!this.changed) return false; // nothing waits: no walk of the table per message
    if (this.queue(control, nextId, Sub.ToSend) || this.queue(control, nextId, Sub.ToRemove)) return true;
    for (let i = 0; i < this.capacity; i++) if (this.state[i] === Sub.ToSend || this.state[i] === Sub.ToRemove) return false; // waits for a request slot
    this.changed = false;
    return false;
  }

  private queue(control: ByteRing, nextId: () => number, from: Sub): boolean {
    let k = 0;
    while (k < MAX_REQUESTS && this.reqId[k] !== 0) k++;
    if (k === MAX_REQUESTS) return false;
    const subscribing = from === Sub.ToSend;
    let count = 0;
    // No packet over the server's Maximum Packet Size [MQTT-3.2.2-15] (5.0; 3.1.1 has none).
    const writable = control.writable();
    const room = writable < this.maximumPacketSize ? writable : this.maximumPacketSize;
    // A SUBSCRIBE carries one Subscription Identifier (§3.8.2.1.2): only entries with the first one's go together.
    let subscriptionId = -1;
    let propertiesLength = 0;
    for (let i = 0; i < this.capacity; i++) {
      if (this.state[i] !== from) continue;
      if (subscribing) {
        if (subscriptionId < 0) {
          subscriptionId = this.subscriptionId[i];
          propertiesLength = subscriptionId === 0 ? 0 : writeVarintProperty(this.subscribeProperties, 0, Property.SubscriptionIdentifier, subscriptionId);
        } else if (this.subscriptionId[i] !== subscriptionId) continue;
      }
      this.scratchFilters[count] = this.filter[i];
      this.scratchOptions[count] = this.options[i];
      const size = subscribing ? subscribeSize(this.scratchFilters, count + 1, this.version, propertiesLength) : unsubscribeSize(this.scratchFilters, count + 1, this.version);
      if (size > room) break;
      this.scratchSlot[count++] = i;
    }
    if (count === 0) return false;
    const id = nextId();
    if (id === 0) return false;
    const size = subscribing ? subscribeSize(this.scratchFilters, count, this.version, propertiesLength) : unsubscribeSize(this.scratchFilters, count, this.version);
    const at = control.reserve(size);
    const v5 = this.version === ProtocolVersion.V5;
    const end = subscribing
      ? encodeSubscribe(control.buffer, at, id, this.scratchFilters, this.scratchOptions, count, v5 ? this.subscribeProperties : null, propertiesLength)
      : encodeUnsubscribe(control.buffer, at, id, this.scratchFilters, count, v5 ? NO_PROPERTIES : null, 0);
    control.commit(end - at);
    this.reqId[k] = id;
    this.lastQueued = k;
    this.reqSubscribe[k] = subscribing ? 1 : 0;
    this.reqCount[k] = count;
    for (let j = 0; j < count; j++) {
      const i = this.scratchSlot[j];
      this.state[i] = subscribing ? Sub.Pending : Sub.Removing;
      this.req[i] = id;
      this.reqSlot[k * this.capacity + j] = i;
      this.reqTopic[k * this.capacity + j] = this.topic[i];
    }
    return true;
  }

  /**
   * The request queueNext() last encoded was not sent after all (the transport took none of it): its
   * entries wait again, except those a call changed meanwhile, and its packet id is free.
   */
  unqueue(): void {
    const k = this.lastQueued;
    const id = this.reqId[k];
    if (id === 0) return;
    for (let j = 0; j < this.reqCount[k]; j++) {
      const i = this.reqSlot[k * this.capacity + j];
      if (this.req[i] !== id) continue;
      if (this.state[i] === Sub.Pending) this.state[i] = Sub.ToSend;
      else if (this.state[i] === Sub.Removing) this.state[i] = Sub.ToRemove;
    }
    this.reqId[k] = 0;
    this.changed = true;
  }

  /** A SUBACK or UNSUBACK: 0, or the reason to close the connection for. */
  ack(p: IncomingPacket): number {
    const subscribing = p.type === PacketType.Suback;
    let k = 0;
    while (k < MAX_REQUESTS && !(this.reqId[k] === p.packetId && this.reqSubscribe[k] === (subscribing ? 1 : 0))) k++;
    if (k === MAX_REQUESTS) return DisconnectReason.ProtocolError; // [MQTT-3.9.2-1] [MQTT-3.11.2-1] not our request
    const count = this.reqCount[k];
    // [MQTT-3.9.3-1] a code per filter (5.0's UNSUBACK too, §3.11.3)
    if ((subscribing || this.version === ProtocolVersion.V5) && p.returnCodesCount !== count) return DisconnectReason.ProtocolError;
    // The request's slot is freed after the loop: a callback that subscribes cannot take it meanwhile.
    for (let j = 0; j < count; j++) {
      const i = this.reqSlot[k * this.capacity + j];
      const topic = this.reqTopic[k * this.capacity + j];
      this.reqTopic[k * this.capacity + j] = "";
      // The entry still stands for this request unless the app changed it since (a newer request).
      const current = this.state[i] !== Sub.Free && this.topic[i] === topic && this.req[i] === p.packetId;
      if (subscribing) {
        if (current && this.state[i] === Sub.Pending) this.state[i] = Sub.Active;
        this.events.subscribed(topic, p.buffer[p.returnCodesOffset + j]);
      } else if (current && this.state[i] === Sub.Removing) {
        this.state[i] = Sub.Free;
        this.filter[i] = EMPTY;
        this.filterWords[i] = undefined;
      }
    }
    this.reqId[k] = 0;
    return 0;
  }

  /** Topic names received in `buffer` (the receive buffer) are matched in words, through `words`, a DataView of it. */
  readTopicsIn(buffer: Uint8Array, words: DataView): void {
    this.topicBytes = buffer;
    this.topicWords = words;
  }

  /** The handler of the first subscription that matches the message and has one, or null (onMessage). */
  dispatch(view: MessageView): Handler {
    const topic = view.topicBuffer;
    const words = topic === this.topicBytes ? this.topicWords : undefined; // else a Topic Alias's table (5.0)
    for (let i = 0; i < this.capacity; i++) {
      const handler = this.handler[i];
      if (handler === null) continue;
      const state = this.state[i];
      if (state === Sub.Free || state >= Sub.ToRemove) continue; // ToRemove, Removing: on their way out
      const filter = this.filter[i];
      const from = this.matchFrom[i];
      if (topicMatches(filter, from, filter.length - from, topic, view.topicOffset, view.topicLength, this.filterWords[i], words)) return handler;
    }
    return null;
  }

  /** The connection is gone: no ack comes for its requests; what they carried goes again. */
  connectionLost(): void {
    this.changed = true;
    for (let k = 0; k < MAX_REQUESTS; k++) this.reqId[k] = 0;
    for (let i = 0; i < this.capacity; i++) {
      if (this.state[i] === Sub.Pending) this.state[i] = Sub.ToSend;
      else if (this.state[i] === Sub.Removing) this.state[i] = Sub.ToRemove;
    }
  }

  /** The broker has no session: every subscription goes again; removals are done. */
  sessionLost(): void {
    this.changed = true;
    for (let i = 0; i < this.capacity; i++) {
      const state = this.state[i];
      if (state === Sub.Pending || state === Sub.Active) this.state[i] = Sub.ToSend;
      else if (state === Sub.ToRemove || state === Sub.Removing) {
        this.state[i] = Sub.Free;
        this.handler[i] = null;
        this.filter[i] = EMPTY;
        this.filterWords[i] = undefined;
      }
    }
  }
}
