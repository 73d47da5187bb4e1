/**
 * Packet identifiers for what the client sends (§2.3.1): the next free one, 1..65,535, wrapping
 * 65,535 -> 1, never one still in use by a QoS 1/2 PUBLISH in the outbox or a SUBSCRIBE/UNSUBSCRIBE
 * awaiting its ack [MQTT-2.3.1-2].
 */
import { MAX_PACKET_ID } from "../codec/wire.js";
import type { Outbox } from "./outbox.js";

/** What holds ids besides the outbox: the outstanding SUBSCRIBE/UNSUBSCRIBE requests. */
export interface IdHolder {
  holds(id: number): boolean;
}

export class PacketIds {
  private lastId = 0;

  constructor(
    private readonly outbox: Outbox,
    private readonly requests: IdHolder,
  ) {}

  /** A flash store loaded messages back: ids go on after the newest one's (0: none), keeping them in rising order. */
  resume(lastId: number): void {
    this.lastId = lastId;
  }

  /** The next free packet identifier, or 0 if none is free. */
  next(): number {
    // Ids go to records in rising order (wrapping), so the outbox's live ids all lie on the arc from its
    // oldest id to the last one given: the next id is free unless the arc has come round to the oldest.
    // Only from there on does an id need the full search.
    const oldest = this.outbox.oldestPacketId();
    let search = false;
    for (let tries = 0; tries < MAX_PACKET_ID; tries++) {
      const id = (this.lastId = this.lastId === MAX_PACKET_ID ? 1 : this.lastId + 1);
      if (this.requests.holds(id)) continue;
      if (oldest === 0) return id;
      if (id === oldest) search = true;
      if (!search || this.outbox.find(id) < 0) return id;
    }
    return 0;
  }
}
