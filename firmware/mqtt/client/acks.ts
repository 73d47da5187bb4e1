/**
 * Responses owed to the broker (PUBACK, PUBREC, PUBREL, PUBCOMP), in the order of the packets they
 * answer [MQTT-4.6.0-2] [MQTT-4.6.0-3]: a fixed queue of (type, packet id), each encoded when it is
 * written. When it is full, received packets that need a response wait in the receive buffer (and TCP
 * holds the broker back) until the transport takes some: nothing is dropped.
 */
import type { PacketType } from "../codec/packet.js";

/** Responses held at once. */
export const ACK_QUEUE = 64;

export class AckQueue {
  /** Packet ids, then types: two views of one ArrayBuffer (a view is 4 slots, an array with its own buffer 7). */
  private readonly id = new Uint16Array(new ArrayBuffer(ACK_QUEUE * 3), 0, ACK_QUEUE);
  private readonly type = new Uint8Array(this.id.buffer, ACK_QUEUE * 2, ACK_QUEUE);
  private head = 0;
  length = 0;

  full(): boolean {
    return this.length === ACK_QUEUE;
  }

  /** Queues a response; the caller checked full(). */
  push(type: PacketType, packetId: number): void {
    const at = (this.head + this.length) % ACK_QUEUE;
    this.type[at] = type;
    this.id[at] = packetId;
    this.length++;
  }

  headType(): PacketType {
    return this.type[this.head] as PacketType;
  }

  headId(): number {
    return this.id[this.head];
  }

  shift(): void {
    this.head = (this.head + 1) % ACK_QUEUE;
    this.length--;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }
}
