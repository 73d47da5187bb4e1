/**
 * The session state that outlives a connection (§4.1): the outbox of PUBLISH not yet finished, the
 * packet identifiers in use, and the QoS 2 packet ids received and not yet released. All fixed-size.
 */
import { MAX_PACKET_ID } from "./wire.js";
import { Outbox } from "./outbox.js";

export class Session {
  readonly outbox: Outbox;
  /** [MQTT-4.3.3] inbound QoS 2: ids PUBREC'd whose PUBREL has not come; each message delivered once. */
  readonly inbound: Uint16Array;
  inboundCount = 0;
  /** Ids of SUBSCRIBE/UNSUBSCRIBE waiting for their ack (they share the id space with PUBLISH). */
  readonly pending: Uint16Array;
  pendingCount = 0;
  private lastId = 0;

  constructor(outboxBytes: number, outboxSlots: number, inboundSlots: number, pendingSlots: number) {
    this.outbox = new Outbox(outboxBytes, outboxSlots);
    this.inbound = new Uint16Array(inboundSlots);
    this.pending = new Uint16Array(pendingSlots);
  }

  /**
   * The next free packet identifier: 1..65,535, wrapping 65,535 -> 1, skipping any still in use by a
   * PUBLISH in flight or a SUBSCRIBE/UNSUBSCRIBE awaiting its ack [MQTT-2.3.1-2]. 0 if none is free.
   */
  nextPacketId(): number {
    // Ids go to records in rising order (wrapping), so the outbox's live ids all lie on the arc from its
    // oldest id to the last one given: the next id is free unless the arc has come round to the oldest.
    // Only from there on does an id need the full search.
    const oldest = this.outbox.oldestPacketId();
    let search = false;
    for (let tries = 0; tries < MAX_PACKET_ID; tries++) {
      const id = (this.lastId = this.lastId === MAX_PACKET_ID ? 1 : this.lastId + 1);
      if (this.pendingHas(id)) continue;
      if (oldest === 0) return id;
      if (id === oldest) search = true;
      if (!search || this.outbox.find(id) < 0) return id;
    }
    return 0;
  }

  private pendingHas(id: number): boolean {
    for (let i = 0; i < this.pendingCount; i++) if (this.pending[i] === id) return true;
    return false;
  }

  addPending(id: number): boolean {
    if (this.pendingCount === this.pending.length) return false;
    this.pending[this.pendingCount++] = id;
    return true;
  }

  /** Removes a pending SUBSCRIBE/UNSUBSCRIBE id; false if it was not pending. */
  removePending(id: number): boolean {
    for (let i = 0; i < this.pendingCount; i++) {
      if (this.pending[i] === id) {
        this.pending[i] = this.pending[--this.pendingCount];
        return true;
      }
    }
    return false;
  }

  hasInbound(id: number): boolean {
    for (let i = 0; i < this.inboundCount; i++) if (this.inbound[i] === id) return true;
    return false;
  }

  /** Records an inbound QoS 2 id; false when the table is full (the caller must not acknowledge then). */
  addInbound(id: number): boolean {
    if (this.inboundCount === this.inbound.length) return false;
    this.inbound[this.inboundCount++] = id;
    return true;
  }

  removeInbound(id: number): void {
    for (let i = 0; i < this.inboundCount; i++) {
      if (this.inbound[i] === id) {
        this.inbound[i] = this.inbound[--this.inboundCount];
        return;
      }
    }
  }

  /** The broker has no session for us (clean start or session lost): inbound QoS 2 state goes too. */
  resetInbound(): void {
    this.inboundCount = 0;
    this.pendingCount = 0;
  }
}
