/**
 * The receiver's side of QoS (§4.3): every QoS 0 and 1 PUBLISH is delivered (QoS 1 then PUBACKed,
 * [MQTT-4.3.2-2]); a QoS 2 one is delivered once per packet id until its PUBCOMP has gone, and PUBRECed
 * every time [MQTT-4.3.3-2], whatever the number in flight (the ids are an IdSet, never full). A PUBLISH over
 * maxPacketSize was skipped by input.ts: it is acknowledged the same way and reported, and the
 * connection stays. Responses wait for room in the ack queue, in order; nothing is dropped. In 5.0 the
 * broker may have at most our Receive Maximum of them unacknowledged [MQTT-3.3.4-9]: one more closes the
 * connection with 0x93 (Receive Maximum exceeded).
 */
import { PacketType, type IncomingPacket } from "../codec/packet.js";
import { ACK_QUEUE, type AckQueue } from "./acks.js";
import { ClientError, DisconnectReason } from "./errors.js";
import type { AppEvents } from "./events.js";
import { IdSet } from "./ids.js";
import type { MessageView } from "./message.js";
import type { ClientStats } from "./stats.js";
import type { Subscriptions } from "./subscriptions.js";

export class Inbound {
  /** [MQTT-4.3.3-2] QoS 2 ids PUBRECed whose PUBREL has not come: each message delivered once. */
  readonly ids = new IdSet();
  /** This connection's QoS 1/2 PUBLISH not yet acknowledged (PUBACK or PUBCOMP not yet written whole). */
  private unacknowledged = 0;

  constructor(
    private readonly acks: AckQueue,
    private readonly subscriptions: Subscriptions,
    private readonly events: AppEvents,
    private readonly stats: ClientStats,
    private readonly view: MessageView,
    /** The Receive Maximum we announced (5.0); 65,535 is no limit to enforce (3.1.1). */
    private readonly receiveMaximum = 65_535,
  ) {}

  /** A PUBLISH: 0 handled, -1 to wait for room for its ack, or the reason to close the connection for. */
  publish(p: IncomingPacket): number {
    const qos = p.qos;
    if (qos !== 0) {
      if (this.acks.length === ACK_QUEUE) return -1; // acks.full(), without the call
      if (qos === 2) {
        if (this.ids.has(p.packetId)) {
          this.acks.push(PacketType.Pubrec, p.packetId); // delivered already: acknowledged again [MQTT-4.3.3-2]
          return 0;
        }
        // Refused before its id is taken: the broker's resend on a kept session is then a new delivery.
        if (this.unacknowledged + 1 > this.receiveMaximum) return DisconnectReason.ReceiveMaximumExceeded; // [MQTT-3.3.4-9]
        this.unacknowledged++;
        this.ids.add(p.packetId);
      } else if (++this.unacknowledged > this.receiveMaximum) return DisconnectReason.ReceiveMaximumExceeded; // [MQTT-3.3.4-9]
    }
    this.deliver(p);
    // After delivery [MQTT-4.3.2-2]; QoS 2: PUBREC, and delivered once per id until PUBREL [MQTT-4.3.3-2].
    if (qos !== 0) this.acks.push(qos === 1 ? PacketType.Puback : PacketType.Pubrec, p.packetId);
    return 0;
  }

  /** A new connection: the broker's quota towards us starts full again (§4.9). */
  connected(): void {
    this.unacknowledged = 0;
  }

  /** A PUBLISH over maxPacketSize was skipped whole; false if it must wait for room for its ack. */
  oversized(qos: number, packetId: number): boolean {
    if (qos > 0 && this.acks.full()) return false;
    // A QoS 2 one counts as delivered (reported): its resends until PUBREL are not reported again.
    if (qos < 2 || this.ids.add(packetId)) {
      this.stats.oversized++;
      this.events.error(ClientError.MessageTooLarge);
    }
    if (qos > 0) this.acks.push(qos === 1 ? PacketType.Puback : PacketType.Pubrec, packetId);
    return true;
  }

  /** PUBREL: answer PUBCOMP, also for an id not held (our PUBCOMP was lost) [MQTT-4.3.3-2]. */
  pubrel(packetId: number): boolean {
    if (this.acks.full()) return false;
    this.acks.push(PacketType.Pubcomp, packetId);
    return true;
  }

  /**
   * Its PUBCOMP went whole: the id is free. Only after it has sent PUBCOMP is a PUBLISH with that id a new
   * message [MQTT-4.3.3-2]; until then, over a lost link too, one is the old message sent again. (A broker
   * that kept the session must send PUBREL again, not PUBLISH [MQTT-4.3.3-1]; mosquitto 2.0.11 sends the
   * PUBLISH when its own PUBREL resend failed: README, "Brokers".)
   */
  released(type: PacketType, packetId: number): void {
    if (type === PacketType.Pubcomp) this.ids.delete(packetId);
    if (this.unacknowledged > 0) this.unacknowledged--;
  }

  /** The broker has no session for us: its QoS 2 flows are gone. */
  sessionLost(): void {
    this.ids.clear();
  }

  /** Hands the message to the first subscription that matches and has a handler, else to onMessage. */
  private deliver(p: IncomingPacket): void {
    const m = this.view;
    m.buffer = p.buffer;
    m.topicBuffer = p.topicBuffer;
    m.topicOffset = p.topicOffset;
    m.topicLength = p.topicLength;
    m.payloadOffset = p.payloadOffset;
    m.payloadLength = p.payloadLength;
    m.qos = p.qos;
    m.retain = p.retain;
    m.dup = p.dup;
    m.packetId = p.packetId;
    m.properties = p.properties;
    this.stats.received++;
    this.events.message(m, this.subscriptions.dispatch(m));
  }
}
